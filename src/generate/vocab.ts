// Which ids may be sampled. gpt-oss has 201088 embedding rows but o200k_harmony names only
// 0 … 200018: rows 200019 … 201087 are untrained padding that a bug elsewhere can make win
// (spec §4.7, §9.20). The padding is the run of `<|reserved_N|>` specials at the top of the vocab.
import type { Tokenizer } from '../tokenizer/index.ts';

const RESERVED = /^<\|reserved_\d+\|>$/;
const text = new TextDecoder();

/** Ids below this may be sampled: the model's rows, the tokenizer's vocab, minus trailing padding. */
export function samplingLimit(tok: Tokenizer, modelVocab: number): number {
  let limit = Math.min(modelVocab, tok.vocabSize);
  while (limit > 1 && tok.isSpecial(limit - 1) && RESERVED.test(text.decode(tok.tokenBytes(limit - 1)))) limit--;
  return limit;
}
