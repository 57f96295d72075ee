// Conversations' K/V beyond the running slots (llama-server's --cache-ram): when a slot is about
// to be overwritten by another conversation, what it held is saved here; a request whose prompt
// continues a saved conversation gets it restored into a slot and prefills only its new tail.
// Least recently used entries go first once the bytes exceed the budget.
import type { SavedState } from './language-model.ts';

export interface CacheEntry { tokens: readonly number[]; state: SavedState; used: number }

export class PromptCache {
  readonly #entries: CacheEntry[] = [];
  #bytes = 0;
  #clock = 0;

  constructor(readonly budgetBytes: number) {}

  get bytes(): number { return this.#bytes; }
  get size(): number { return this.#entries.length; }

  /** The entry sharing the longest prefix with `prompt` (at most `cap` tokens counted), or null. */
  best(prompt: readonly number[], cap: number): { entry: CacheEntry; reuse: number } | null {
    let best: { entry: CacheEntry; reuse: number } | null = null;
    for (const e of this.#entries) {
      const reuse = Math.min(commonPrefix(e.tokens, prompt), cap);
      if (reuse > (best?.reuse ?? 0)) best = { entry: e, reuse };
    }
    return best;
  }

  /**
   * Keeps a saved conversation (a state larger than the budget, or the same tokens again, is
   * released). Entries that are prefixes of one another all stay: a sliding layer's ring lets a
   * restored state step back only so far (engine Session.rewind).
   */
  put(tokens: readonly number[], state: SavedState): void {
    if (state.bytes > this.budgetBytes || this.#entries.some((e) => e.tokens.length === tokens.length && commonPrefix(e.tokens, tokens) === tokens.length)) {
      state.release();
      return;
    }
    this.#entries.push({ tokens: [...tokens], state, used: ++this.#clock });
    this.#bytes += state.bytes;
    while (this.#bytes > this.budgetBytes) {
      const lru = this.#entries.reduce((a, b) => (b.used < a.used ? b : a));
      this.#remove(lru).state.release();
    }
  }

  /** Takes an entry out (its state now belongs to the caller). */
  take(entry: CacheEntry): CacheEntry {
    return this.#remove(entry);
  }

  clear(): void {
    for (const e of this.#entries.splice(0)) e.state.release();
    this.#bytes = 0;
  }

  #remove(e: CacheEntry): CacheEntry {
    const i = this.#entries.indexOf(e);
    if (i >= 0) { this.#entries.splice(i, 1); this.#bytes -= e.state.bytes; }
    return e;
  }
}

export function commonPrefix(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}
