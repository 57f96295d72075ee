// A model ready to serve, as generate/ and server/ see it: the engine behind the small
// LanguageModel interface, its tokenizer and what the server announces about it. src/boot/
// opens one (checkpoint or demo, backend choice included).
import type { LoadProgress } from '../backends/backend.ts';
import type { Tokenizer } from '../tokenizer/index.ts';
import type { LanguageModel } from './language-model.ts';

export type { LoadProgress };

export interface LoadedModel {
  /** The id clients send as `model`. */
  id: string;
  /** Other names it answers to (the usual names of a gpt-oss-20b / -120b checkpoint). */
  aliases: string[];
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
  /** What the checkpoint is, for clients that show it (Ollama's /api/tags and /api/show); absent for test engines. */
  facts?: ModelFacts;
  /** `reason`: why this backend (`auto: no GPU adapter …`). */
  backend: { name: string; threads: number; weightBytes: number; reason: string };
  release(): void;
}

export const DEMO_MODEL_ID = 'oss-edge-demo';

export interface ModelFacts {
  /** The file format: a .gguf file, an HF folder (safetensors) or generated in memory. */
  format: 'gguf' | 'safetensors' | 'synthetic';
  /** Weights in the checkpoint (every tensor's elements). */
  parameters: number;
  /** The format holding most of the weight bytes (`mxfp4` for gpt-oss's experts). */
  quantization: string;
  layers: number;
  experts: number;
  embeddingLength: number;
}
