// A gate for scripted engines: each forward pass waits at it until the test lets it through, so a
// test decides exactly how many steps run and when (a request is "still running" because its next
// step is held, not because the machine was fast enough), and waits on these events instead of
// the clock.

export class Gate {
  /** Passes held at the gate, oldest first. */
  readonly #held: (() => void)[] = [];
  readonly #watchers: (() => void)[] = [];
  #open = false;
  /** Passes that reached the gate, and those let through. */
  arrived = 0;
  passed = 0;

  /** The engine side: resolves when the test lets this pass through. */
  pass(): Promise<void> {
    this.arrived++;
    if (this.#open) {
      this.passed++;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#held.push(() => { this.passed++; resolve(); });
      for (const w of this.#watchers.splice(0)) w();
    });
  }

  /** Passes waiting now. */
  get holding(): number { return this.#held.length; }

  /** Resolves once a pass is held at the gate (at once if one is). */
  waiting(): Promise<void> {
    if (this.#held.length) return Promise.resolve();
    return new Promise((resolve) => this.#watchers.push(resolve));
  }

  /** Waits for a held pass, then lets the oldest through. */
  async step(n = 1): Promise<void> {
    for (let i = 0; i < n; i++) {
      await this.waiting();
      this.#held.shift()!();
    }
  }

  /** Lets everything through from now on. */
  open(): void {
    this.#open = true;
    for (const f of this.#held.splice(0)) f();
  }

  /** Holds passes again (after open). */
  close(): void { this.#open = false; }
}

/** Resolves when `signal` aborts (at once if it has). */
export function aborted(signal: AbortSignal): Promise<void> {
  return signal.aborted ? Promise.resolve() : new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Re-checks `cond` after every turn of the event loop until it holds: no deadline (the test's limit stops a hang). */
export async function until(cond: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await cond())) await new Promise((r) => setImmediate(r));
}
