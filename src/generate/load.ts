// A model ready to serve: the engine, its tokenizer and what the server announces about it. This is
// the one place above the engine that knows how a model is opened, and where the demo comes from.
import { existsSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadProgress } from '../engine/backend.ts';
import { Model } from '../engine/model.ts';
import { tokenizerForCheckpoint, type Tokenizer } from '../tokenizer/index.ts';
import type { LanguageModel } from './engine.ts';
import { samplingLimit } from './vocab.ts';

export type { LoadProgress };
export type BackendChoice = 'auto' | 'cpu' | 'webgpu';

export interface LoadOptions {
  threads?: number;
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
  backend: { name: string; threads: number; weightBytes: number };
  release(): void;
}

export const DEMO_MODEL_ID = 'oss-edge-demo';

/**
 * The checkpoint served when no model is given. Until the embedded synthetic checkpoint lands this
 * is the golden tiny-a GGUF of ../shared (a 512-token byte-level vocab, random weights); null when
 * that folder is absent.
 */
export function demoModelPath(): string | null {
  const p = fileURLToPath(new URL('../../../shared/golden/tiny-a/model.gguf', import.meta.url).href);
  return existsSync(p) ? p : null;
}

/** Opens `path` (a .gguf file or an HF folder), or the demo when `path` is null. */
export async function loadModel(path: string | null, o: LoadOptions = {}): Promise<LoadedModel> {
  if (o.backend === 'webgpu') throw new Error('--backend webgpu: the WebGPU backend is not in this build yet; use --backend cpu');
  const demo = path === null;
  const file = path ?? demoModelPath();
  if (file === null) throw new Error('no --model given and no demo checkpoint found (../shared/golden/tiny-a): pass --model PATH');
  const m = await Model.load(file, { threads: o.threads, context: o.context, progress: o.progress });
  const tokenizer = tokenizerForCheckpoint(m.checkpoint);
  const V = m.config.vocabSize;
  const d = m.backend.describe();
  return {
    id: demo ? DEMO_MODEL_ID : modelId(file),
    demo, source: file, tokenizer, context: m.context, limit: samplingLimit(tokenizer, V), eosTokenId: m.config.eosTokenId,
    model: { vocabSize: V, maxBatch: m.maxBatch, newSession: (context) => m.newSession(context) },
    backend: { name: d.name, threads: d.threads, weightBytes: d.weightBytes },
    release: () => m.release(),
  };
}

/** `gpt-oss-20b` for …/gpt-oss-20b/ or …/gpt-oss-20b.gguf; a generic `model.gguf` is named by its folder. */
function modelId(path: string): string {
  const name = basename(path).replace(/\.(gguf|safetensors)$/i, '');
  return name === 'model' ? basename(dirname(path)) : name;
}
