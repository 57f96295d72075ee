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
  const keys: string[] = new Array(nRanks);
  const rankOf = new Map<string, number>();
  for (let r = 0; r < nRanks; r++) {
    const b = rankBytes(r);
    let k = '';
    for (let i = 0; i < b.length; i++) k += String.fromCharCode(b[i]); // latin-1: one char per byte
    keys[r] = k;
    rankOf.set(k, r);
  }
  const merges: Array<[number, number]> = [];
  const local: Array<[number, number]> = [];
  for (let r = 0; r < nRanks; r++) {
    const k = keys[r];
    if (k.length < 2) continue;
    local.length = 0;
    for (let i = 1; i < k.length; i++) {
      const a = rankOf.get(k.slice(0, i)), b = rankOf.get(k.slice(i));
      if (a !== undefined && b !== undefined) local.push([a, b]);
    }
    local.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    for (const m of local) merges.push(m);
  }
  return merges;
}

/** tokenizer.ggml.* keys: gpt2 model, gpt-4o pre-tokenizer, all vocabSize tokens, types, merges, ids. */
export function ggufTokenizerMetadata(v: VocabSource): Record<string, unknown> {
  const spelled: string[] = new Array(v.nRanks);
  for (let r = 0; r < v.nRanks; r++) spelled[r] = v.spell(v.rankBytes(r));
  const tokens: string[] = new Array(v.vocabSize);
  const types: number[] = new Array(v.vocabSize);
  for (let id = 0; id < v.vocabSize; id++) {
    const special = v.specials.get(id);
    if (id < v.nRanks) [tokens[id], types[id]] = [spelled[id], NORMAL];
    else if (special !== undefined) [tokens[id], types[id]] = [special, CONTROL];
    else [tokens[id], types[id]] = [`[PAD${id}]`, UNUSED]; // rows past the tokenizer (spec §7.2)
  }
  const merges = bpeMergesFromRanks(v.rankBytes, v.nRanks).map(([a, b]) => `${spelled[a]} ${spelled[b]}`);
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
