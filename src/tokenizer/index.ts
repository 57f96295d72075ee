// Tokenizer floor (above engine/, below harmony/ and server/). API:
//   o200kHarmony()               the built-in gpt-oss tokenizer (tiktoken o200k_base + harmony
//                                specials 199998 … 201087), offline, shared per process
//   tokenizerForCheckpoint(ckpt) / tokenizerFor(metadata, V)
//                                the tokenizer for a checkpoint: o200k_harmony for V = 201088 after
//                                checking the checkpoint's own tokenizer agrees, else its own BPE
//   Tokenizer                    encode(text) → ids (specials never come from text), decode(ids),
//                                tokenBytes(id), special.{start,end,message,channel,…}, vocabSize
//   StreamDecoder                token-by-token text that never splits a UTF-8 character
//   encodeWithSpecials(tok, s)   trusted text with literal `<|…|>` markers → ids (tests, CLI)
//   recipeOf(tok) / fromRecipe(r) a tokenizer as plain data, rebuilt in a worker thread
export type { SpecialIds, SpecialName, Tokenizer } from './types.ts';
export { TokenizerError } from './types.ts';
export { o200kHarmony } from './o200k-harmony.ts';
export { tokenizerFor, tokenizerForCheckpoint } from './for-checkpoint.ts';
export { ByteLevelBpe, type BpeVocab } from './bpe.ts';
export { StreamDecoder } from './stream-decoder.ts';
export { encodeWithSpecials } from './trusted.ts';
export { fromRecipe, recipeOf, type TokenizerRecipe } from './recipe.ts';
export { HARMONY_SPECIALS, O200K_HARMONY_VOCAB, O200K_RANKS } from './specials.ts';
