// A model ready to serve: the engine (engine/open.ts opens it, demo and backend choice included),
// its tokenizer and what the server announces about it.
import { basename, dirname } from 'node:path';
import type { LoadProgress, Precision } from '../engine/backend.ts';
import { openModel, type BackendChoice } from '../engine/open.ts';
import { tokenizerForCheckpoint, type Tokenizer } from '../tokenizer/index.ts';
import type { LanguageModel } from './engine.ts';
import { samplingLimit } from './vocab.ts';

export type { BackendChoice, LoadProgress };

export interface LoadOptions {
  threads?: number;
  /** Serving defaults to `fast` (8-bit activations in the MXFP4/Q8_0 products, as llama.cpp). */
  precision?: Precision;
  /** Re-quantise float weight matrices to Q8_0 at load. */
  denseQ8?: boolean;
  context?: number;
  backend?: BackendChoice;
  progress?: (p: LoadProgress) => void;
}

export interface LoadedModel {
  /** The id clients send as `model`. */
  id: string;
  /** True for the demo checkpoint (random weights: its output is noise). */
  demo: boolean;
  source: string;
  model: LanguageModel;
  tokenizer: Tokenizer;
  /** Positions per session. */
  context: number;
  /** Ids below this may be sampled (the vocabulary without its padding rows). */
  limit: number;
  eosTokenId: number | null;
  /** `reason`: why this backend (`auto: no GPU adapter …`). */
  backend: { name: string; threads: number; weightBytes: number; reason: string };
  release(): void;
}

export const DEMO_MODEL_ID = 'oss-edge-demo';

/** Opens `path` (a .gguf file or an HF folder), or the built-in demo checkpoint when `path` is null. */
export async function loadModel(path: string | null, o: LoadOptions = {}): Promise<LoadedModel> {
  const { model: m, reason } = await openModel(path, {
    threads: o.threads, context: o.context, progress: o.progress, backend: o.backend,
    precision: o.precision ?? 'fast', denseQ8: o.denseQ8,
  });
  let tokenizer: Tokenizer;
  try {
    tokenizer = tokenizerForCheckpoint(m.checkpoint);
  } catch (e) {
    m.release(); // a loaded backend's worker threads would keep a failed server's process alive
    throw e;
  }
  const V = m.config.vocabSize;
  const d = m.backend.describe();
  return {
    id: path === null ? DEMO_MODEL_ID : modelId(path),
    demo: path === null, source: path ?? 'built-in demo checkpoint (src/model/synth.ts)', tokenizer, context: m.context,
    limit: samplingLimit(tokenizer, V), eosTokenId: m.config.eosTokenId,
    model: { vocabSize: V, maxBatch: m.maxBatch, newSession: (context) => m.newSession(context) },
    backend: { name: d.name, threads: d.threads, weightBytes: d.weightBytes, reason },
    release: () => m.release(),
  };
}

/** `gpt-oss-20b` for …/gpt-oss-20b/ or …/gpt-oss-20b.gguf; a generic `model.gguf` is named by its folder. */
function modelId(path: string): string {
  const name = basename(path).replace(/\.(gguf|safetensors)$/i, '');
  return name === 'model' ? basename(dirname(path)) : name;
}
