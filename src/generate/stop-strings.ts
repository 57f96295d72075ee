// Stop strings over streamed text (OpenAI `stop`): text is released as soon as it can no longer be
// the start of a stop string; the stop string itself is never released.

export class StopStrings {
  #held = '';
  readonly #stops: string[];

  constructor(stops: readonly string[]) {
    this.#stops = stops.filter((s) => s.length > 0);
  }

  /** Adds streamed text; returns what may be shown, and whether a stop string has matched. */
  push(text: string): { text: string; stopped: boolean } {
    const all = this.#held + text;
    if (this.#stops.length === 0) return { text: all, stopped: false };
    let cut = -1;
    for (const s of this.#stops) {
      const at = all.indexOf(s);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      this.#held = '';
      return { text: all.slice(0, cut), stopped: true };
    }
    const keep = this.#partial(all);
    this.#held = all.slice(all.length - keep);
    return { text: all.slice(0, all.length - keep), stopped: false };
  }

  /** End of the stream: held text was not a stop string after all. */
  flush(): string {
    const rest = this.#held;
    this.#held = '';
    return rest;
  }

  /** Length of the longest tail of `s` that is a proper prefix of some stop string. */
  #partial(s: string): number {
    let best = 0;
    for (const stop of this.#stops) {
      for (let k = Math.min(stop.length - 1, s.length); k > best; k--) {
        if (s.endsWith(stop.slice(0, k))) { best = k; break; }
      }
    }
    return best;
  }
}
