// Opening a model the way the program needs it: a checkpoint path or the built-in demo, on the
// backend the options choose (backend-choice.ts). The one place that puts checkpoint, backend,
// engine and tokenizer together, so generate/ and server/ only ever see a LoadedModel.
import { basename, dirname } from 'node:path';
import type { LoadProgress } from '../backends/backend.ts';
import { engineOptions, type EngineOptions } from '../backends/options.ts';
import { Engine, type Session } from '../engine/engine.ts';
import { DEMO_MODEL_ID, type LoadedModel, type ModelFacts } from '../generate/served-model.ts';
import type { Checkpoint } from '../model/types.ts';
import { samplingLimit } from '../generate/vocab.ts';
import { demoCheckpoint } from '../synth/demo.ts';
import { tokenizerForCheckpoint, type Tokenizer } from '../tokenizer/index.ts';
import { resolveBackend, type Probe } from './backend-choice.ts';

export interface Opened {
  engine: Engine;
  /** One line for logs: why this backend runs. */
  reason: string;
}

/** What opening may be given instead of the runtime's own: the adapter probe (tests fake one). */
export interface OpenDeps { probe?: () => Promise<Probe> }

/** Opens `path` (a .gguf file or an HF folder), or the built-in demo checkpoint when `path` is null. */
export async function openEngine(path: string | null, o: Partial<EngineOptions>, progress?: (p: LoadProgress) => void, deps: OpenDeps = {}): Promise<Opened> {
  const opts = engineOptions(o);
  // The demo's toy weights need no GPU, and the WebGPU child a Bun process drives opens checkpoints
  // from files, which the in-memory demo is not: `auto` keeps it on the CPU (no probing either).
  const be = await resolveBackend(path === null && opts.backend === 'auto' ? 'cpu' : opts.backend, { probe: deps.probe });
  try {
    // The demo: gpt-oss's real vocabulary layout (so o200k_harmony and harmony apply) on a toy
    // body with random weights, generated in memory.
    const engine = path === null
      ? await Engine.fromCheckpoint(demoCheckpoint(), opts, be.create, progress)
      : await Engine.load(path, opts, be.create, progress);
    return { engine, reason: be.reason };
  } catch (e) {
    be.dispose();
    throw e;
  }
}

/** A model ready to serve: the engine, its tokenizer and what /v1/models announces. */
export async function openServedModel(path: string | null, o: Partial<EngineOptions>, progress?: (p: LoadProgress) => void, deps: OpenDeps & { id?: string } = {}): Promise<LoadedModel> {
  const { engine: m, reason } = await openEngine(path, o, progress, deps);
  const id = deps.id;
  let tokenizer: Tokenizer;
  try {
    tokenizer = tokenizerForCheckpoint(m.checkpoint);
  } catch (e) {
    m.release(); // a loaded backend's worker threads would keep a failed server's process alive
    throw e;
  }
  const V = m.config.vocabSize;
  const d = m.backend.describe();
  const name = id ?? (path === null ? DEMO_MODEL_ID : modelId(path));
  return {
    id: name, aliases: path === null ? [] : standardNames(m.config).filter((n) => n !== name),
    demo: path === null, source: path ?? 'built-in demo checkpoint (src/synth/demo.ts)', tokenizer, context: m.context,
    limit: samplingLimit(tokenizer, V), eosTokenId: m.config.eosTokenId,
    model: {
      vocabSize: V, maxBatch: m.maxBatch, newSession: (context) => m.newSession(context),
      step: (steps, into) => m.step(steps.map((st) => ({ session: st.session as Session, ids: st.ids })), into),
      stepGreedy: (steps, limit) => m.stepGreedy(steps.map((st) => ({ session: st.session as Session, ids: st.ids })), limit),
    },
    facts: factsOf(m.checkpoint), backend: { name: d.name, threads: d.threads, weightBytes: d.weightBytes, reason },
    release: () => m.release(),
  };
}

/** Parameter count and dominant weight format, read from the tensor table. */
function factsOf(ck: Checkpoint): ModelFacts {
  let parameters = 0;
  const bytes = new Map<string, number>();
  for (const t of ck.tensors.values()) {
    parameters += t.shape.reduce((a, b) => a * b, 1);
    bytes.set(t.format, (bytes.get(t.format) ?? 0) + t.byteSize);
  }
  const quantization = [...bytes].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'unknown';
  const c = ck.config;
  return {
    format: ck.kind === 'hf' ? 'safetensors' : ck.kind === 'gguf' ? 'gguf' : 'synthetic', parameters, quantization,
    layers: c.numLayers, experts: c.numExperts, embeddingLength: c.hiddenSize,
  };
}

/**
 * The names clients hard-code for gpt-oss (OpenAI, Ollama, Hugging Face), by the checkpoint's shape
 * (spec §1.1: 24 layers × 32 experts for 20b, 36 × 128 for 120b); none for another shape.
 */
function standardNames(c: { numLayers: number; numExperts: number; hiddenSize: number }): string[] {
  const size = c.hiddenSize !== 2880 ? null : c.numLayers === 24 && c.numExperts === 32 ? '20b' : c.numLayers === 36 && c.numExperts === 128 ? '120b' : null;
  return size ? [`gpt-oss-${size}`, `gpt-oss:${size}`, `openai/gpt-oss-${size}`] : [];
}

/** `gpt-oss-20b` for …/gpt-oss-20b/ or …/gpt-oss-20b.gguf; a generic `model.gguf` is named by its folder. */
function modelId(path: string): string {
  const name = basename(path).replace(/\.(gguf|safetensors)$/i, '');
  return name === 'model' ? basename(dirname(path)) : name;
}
