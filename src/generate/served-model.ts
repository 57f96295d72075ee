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
  /** `reason`: why this backend (`auto: no GPU adapter …`). */
  backend: { name: string; threads: number; weightBytes: number; reason: string };
  release(): void;
}

export const DEMO_MODEL_ID = 'oss-edge-demo';
