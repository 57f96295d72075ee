// A tokenizer as plain data, so a worker thread can build the same one (the server tokenizes large
// prompts off its event loop): the built-in o200k_harmony by name, a checkpoint BPE by its vocab.
import { ByteLevelBpe } from './bpe.ts';
import { o200kHarmony } from './o200k-harmony.ts';
import type { Tokenizer } from './types.ts';

export type TokenizerRecipe =
  | { kind: 'o200k_harmony' }
  | { kind: 'bpe'; name: string; tokens: readonly string[]; merges: ReadonlyArray<string | readonly [string, string]>; specialIds: number[]; ignoreMerges: boolean };

/** The recipe of one of our tokenizers; null for any other implementation of the interface. */
export function recipeOf(tok: Tokenizer): TokenizerRecipe | null {
  if (tok === o200kHarmony()) return { kind: 'o200k_harmony' };
  if (tok instanceof ByteLevelBpe) {
    const v = tok.vocab;
    const specialIds = v.tokens.flatMap((_, id) => (v.isSpecial(id) ? [id] : []));
    return { kind: 'bpe', name: v.name, tokens: v.tokens, merges: v.merges, specialIds, ignoreMerges: v.ignoreMerges ?? false };
  }
  return null;
}

export function fromRecipe(r: TokenizerRecipe): Tokenizer {
  if (r.kind === 'o200k_harmony') return o200kHarmony();
  const special = new Set(r.specialIds);
  return new ByteLevelBpe({ name: r.name, tokens: r.tokens, merges: r.merges, isSpecial: (id) => special.has(id), ignoreMerges: r.ignoreMerges });
}
