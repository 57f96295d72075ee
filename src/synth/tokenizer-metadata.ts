// GGUF tokenizer metadata for the real gpt-oss vocabulary (spec §5.1/§5.4/§5.5/§7.2), built
// offline from the o200k ranks: what llama.cpp's converter writes for gpt-oss, so a synthetic GGUF
// carries the same tokenizer keys as the published one. The token bytes and the byte-level
// spelling come in as arguments (the tokenizer floor owns them; the model floor may not import it).

export interface VocabSource {
  /** Ordinary BPE tokens: bytes of rank 0 … nRanks − 1. */
  rankBytes(rank: number): Uint8Array;
  nRanks: number;
  /** Literal text of the special ids that exist in the hub tokenizer (199998 … 200018). */
  specials: Map<number, string>;
  /** GPT-2 byte-level spelling of raw bytes (spec §5.5). */
  spell(bytes: Uint8Array): string;
  vocabSize: number;
  bos: number;
  eos: number;
  pad: number;
}

// llama.cpp token types
const NORMAL = 1, CONTROL = 3, UNUSED = 5;

/**
 * Merges as transformers' TikTokenConverter derives them from ranks (spec §5.5): for each token in
 * rank order, every split into two tokens that are both ranks, ordered by (left rank, right rank).
 * Returns [left rank, right rank] pairs; o200k gives 446,189.
 */
export function bpeMergesFromRanks(rankBytes: (rank: number) => Uint8Array, nRanks: number): Array<[number, number]> {
  const flat = mergesOf(Array.from({ length: nRanks }, (_, r) => latin1(rankBytes(r))));
  return Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]] as [number, number]);
}

/** Bytes as a latin-1 string (one char per byte): a cheap Map key for byte strings. */
function latin1(b: Uint8Array): string {
  return String.fromCharCode.apply(null, b as unknown as number[]); // one flat string (tokens ≤ 128 bytes)
}

/** The merge rule over latin-1 keys (index = rank); pairs flattened as [l0, r0, l1, r1, …]. */
function mergesOf(keys: string[]): Int32Array {
  const rankOf = new Map<string, number>();
  keys.forEach((k, r) => rankOf.set(k, r));
  let out = new Int32Array(1 << 20);
  let n = 0;
  const local: number[] = [];
  for (let r = 0; r < keys.length; r++) {
    const k = keys[r];
    if (k.length < 2) continue;
    local.length = 0;
    for (let i = 1; i < k.length; i++) {
      const a = rankOf.get(k.slice(0, i)), b = rankOf.get(k.slice(i));
      if (a !== undefined && b !== undefined) local.push(a, b);
    }
    // sort the (a, b) pairs of this token by a, then b; a token has at most a few dozen splits
    const order = Array.from({ length: local.length / 2 }, (_, i) => i).sort((x, y) => local[2 * x] - local[2 * y] || local[2 * x + 1] - local[2 * y + 1]);
    if (n + local.length > out.length) {
      const grown = new Int32Array(out.length * 2);
      grown.set(out);
      out = grown;
    }
    for (const i of order) {
      out[n++] = local[2 * i];
      out[n++] = local[2 * i + 1];
    }
  }
  return out.subarray(0, n);
}

/** tokenizer.ggml.* keys: gpt2 model, gpt-4o pre-tokenizer, all vocabSize tokens, types, merges, ids. */
export function ggufTokenizerMetadata(v: VocabSource): Record<string, unknown> {
  // Each rank's bytes are fetched once (the tokenizer copies them out of wasm on every call).
  const keys: string[] = new Array(v.nRanks);
  const spelled: string[] = new Array(v.nRanks);
  for (let r = 0; r < v.nRanks; r++) {
    const b = v.rankBytes(r);
    keys[r] = latin1(b);
    spelled[r] = v.spell(b);
  }
  const tokens: string[] = new Array(v.vocabSize);
  const types: number[] = new Array(v.vocabSize);
  for (let id = 0; id < v.vocabSize; id++) {
    const special = v.specials.get(id);
    if (id < v.nRanks) [tokens[id], types[id]] = [spelled[id], NORMAL];
    else if (special !== undefined) [tokens[id], types[id]] = [special, CONTROL];
    else [tokens[id], types[id]] = [`[PAD${id}]`, UNUSED]; // rows past the tokenizer (spec §7.2)
  }
  const flat = mergesOf(keys);
  const merges: string[] = new Array(flat.length / 2);
  for (let i = 0; i < merges.length; i++) merges[i] = `${spelled[flat[2 * i]]} ${spelled[flat[2 * i + 1]]}`;
  return {
    'tokenizer.ggml.model': 'gpt2',
    'tokenizer.ggml.pre': 'gpt-4o',
    'tokenizer.ggml.tokens': tokens,
    'tokenizer.ggml.token_type': types,
    'tokenizer.ggml.merges': merges,
    'tokenizer.ggml.bos_token_id': v.bos,
    'tokenizer.ggml.eos_token_id': v.eos,
    'tokenizer.ggml.padding_token_id': v.pad,
  };
}
