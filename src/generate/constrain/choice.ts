// A choice among a few token sequences (the message headers a request allows), walked one token at
// a time: the ids that may come next, the run that is forced because every remaining option agrees,
// and which option was taken once one is complete. No option may be a prefix of another.

export class TokenChoice<T> {
  #live: number[];
  #depth = 0;

  constructor(private readonly options: ReadonlyArray<{ ids: readonly number[]; value: T }>) {
    if (options.length === 0) throw new Error('TokenChoice needs at least one option');
    this.#live = options.map((_, i) => i);
  }

  /** Ids that continue some remaining option. */
  allowed(): Set<number> {
    return new Set(this.#live.map((i) => this.options[i].ids[this.#depth]));
  }

  /** The ids every remaining option continues with (empty where they differ). */
  forced(): number[] {
    const out: number[] = [];
    const ids = this.#live.map((i) => this.options[i].ids);
    for (let d = this.#depth; ; d++) {
      const next = ids[0][d];
      if (next === undefined || ids.some((s) => s[d] !== next)) return out;
      out.push(next);
    }
  }

  /** Takes `id`; false (nothing changed) when no remaining option continues with it. */
  accept(id: number): boolean {
    const live = this.#live.filter((i) => this.options[i].ids[this.#depth] === id);
    if (live.length === 0) return false;
    this.#live = live;
    this.#depth++;
    return true;
  }

  /** The option taken, once all of its ids were accepted. */
  get chosen(): T | null {
    const done = this.#live.find((i) => this.options[i].ids.length === this.#depth);
    return done === undefined ? null : this.options[done].value;
  }
}
