// Which tokenizer a checkpoint gets. gpt-oss proper (201088 embedding rows) always uses the
// built-in o200k_harmony, after checking that any tokenizer the checkpoint carries agrees with it
// (a mismatch means ids would be silently wrong, so it is an error, not a warning). Any other vocab
// size must bring its own byte-level BPE (GGUF tokenizer.ggml.* or an HF tokenizer.json).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Checkpoint } from '../model/types.ts';
import { ByteLevelBpe } from './bpe.ts';
import { verifyGgufVocab, verifyTokenizerJson, type TokenizerJson } from './verify.ts';
import { o200kHarmony } from './o200k-harmony.ts';
import { O200K_HARMONY_VOCAB } from './specials.ts';
import { TokenizerError, type Tokenizer } from './types.ts';

const GGUF_CONTROL_TYPES = new Set([2, 3, 4, 5]); // UNKNOWN, CONTROL, USER_DEFINED, UNUSED

type CheckpointLike = Pick<Checkpoint, 'kind' | 'path' | 'metadata'> & { config: { vocabSize: number } };

/** tokenizerFor a loaded checkpoint; an HF folder's tokenizer.json is found beside its config.json. */
export function tokenizerForCheckpoint(ckpt: CheckpointLike): Tokenizer {
  let metadata = ckpt.metadata;
  if (ckpt.kind === 'hf' && typeof metadata.tokenizerJsonPath !== 'string') {
    const dir = statSync(ckpt.path).isDirectory() ? ckpt.path : dirname(ckpt.path);
    const path = join(dir, 'tokenizer.json');
    if (existsSync(path)) metadata = { ...metadata, tokenizerJsonPath: path };
  }
  return tokenizerFor(metadata, ckpt.config.vocabSize);
}

/**
 * `metadata` is Checkpoint.metadata: GGUF key/values, or for an HF folder the parsed config.json
 * plus `tokenizerJsonPath` when the folder has a tokenizer.json. `vocabSize` = embedding rows.
 */
export function tokenizerFor(metadata: Record<string, unknown>, vocabSize: number): Tokenizer {
  const ggufTokens = metadata['tokenizer.ggml.tokens'];
  const jsonPath = typeof metadata.tokenizerJsonPath === 'string' ? metadata.tokenizerJsonPath : null;
  const json = jsonPath ? readTokenizerJson(jsonPath) : null;
  if (vocabSize === O200K_HARMONY_VOCAB) {
    if (ggufTokens !== undefined) verifyGgufVocab(metadata);
    if (json) verifyTokenizerJson(json, jsonPath!);
    return o200kHarmony();
  }
  if (ggufTokens !== undefined) return ggufBpe(metadata, vocabSize);
  if (json) return tokenizerJsonBpe(json, jsonPath!, vocabSize);
  throw new TokenizerError(
    `vocab size ${vocabSize} is not o200k_harmony's ${O200K_HARMONY_VOCAB} and the checkpoint carries no tokenizer ` +
      '(no tokenizer.ggml.* metadata, no tokenizer.json): add a tokenizer.json to the folder or use the GGUF',
  );
}

function ggufBpe(meta: Record<string, unknown>, vocabSize: number): Tokenizer {
  const model = meta['tokenizer.ggml.model'];
  const pre = meta['tokenizer.ggml.pre'];
  if (model !== undefined && model !== 'gpt2') throw new TokenizerError(`GGUF tokenizer.ggml.model is ${JSON.stringify(model)}; only byte-level BPE ("gpt2") is supported`);
  if (pre !== undefined && pre !== 'gpt-4o') throw new TokenizerError(`GGUF tokenizer.ggml.pre is ${JSON.stringify(pre)}; only the o200k pattern ("gpt-4o") is supported`);
  const tokens = stringArray(meta['tokenizer.ggml.tokens'], 'GGUF tokenizer.ggml.tokens');
  const merges = stringArray(meta['tokenizer.ggml.merges'] ?? [], 'GGUF tokenizer.ggml.merges');
  const types = meta['tokenizer.ggml.token_type'] as ArrayLike<number> | undefined;
  if (types !== undefined && types.length !== tokens.length) throw new TokenizerError(`GGUF tokenizer.ggml.token_type has ${types.length} entries for ${tokens.length} tokens`);
  checkFits(tokens.length, vocabSize, 'GGUF tokenizer.ggml.tokens');
  const isSpecial = types ? (id: number) => GGUF_CONTROL_TYPES.has(types[id]) : (id: number) => /^<\|.*\|>$/.test(tokens[id]);
  return new ByteLevelBpe({ name: 'gguf-bpe', tokens, merges, isSpecial });
}

function tokenizerJsonBpe(json: TokenizerJson, path: string, vocabSize: number): Tokenizer {
  const model = json.model;
  if (!model || (model.type !== undefined && model.type !== 'BPE') || typeof model.vocab !== 'object') {
    throw new TokenizerError(`${path}: model is not a BPE with a vocab`);
  }
  const tokens: string[] = [];
  for (const [t, id] of Object.entries(model.vocab)) tokens[id] = t;
  const special = new Set<number>();
  for (const a of json.added_tokens ?? []) {
    tokens[a.id] = a.content;
    special.add(a.id);
  }
  const hole = tokens.findIndex((t) => t === undefined); // findIndex visits the holes of a sparse array
  if (hole >= 0) throw new TokenizerError(`${path}: no token has id ${hole}`);
  checkFits(tokens.length, vocabSize, path);
  const merges = (model.merges ?? []) as Array<string | [string, string]>;
  return new ByteLevelBpe({ name: 'tokenizer.json-bpe', tokens, merges, isSpecial: (id) => special.has(id), ignoreMerges: model.ignore_merges === true });
}

function readTokenizerJson(path: string): TokenizerJson {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as TokenizerJson;
  } catch (e) {
    throw new TokenizerError(`${path}: cannot read tokenizer.json (${(e as Error).message})`);
  }
}

function checkFits(n: number, vocabSize: number, what: string): void {
  if (n > vocabSize) throw new TokenizerError(`${what} has ${n} tokens but the model has only ${vocabSize} embedding rows`);
}

function stringArray(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new TokenizerError(`${what} is not an array of strings`);
  return v;
}
