// An unbounded single-consumer queue exposed as an async iterator: the scheduler pushes a
// generation's events as they happen, the HTTP side reads them at its own pace. A consumer that
// stops early (break, throw) calls `onReturn`, which the scheduler treats as a cancel.

export class Channel<T> implements AsyncIterableIterator<T> {
  #items: T[] = [];
  #waiting: ((r: IteratorResult<T>) => void) | null = null;
  #closed = false;

  constructor(private readonly onReturn: () => void = () => {}) {}

  push(item: T): void {
    if (this.#closed) return;
    const w = this.#waiting;
    if (w) { this.#waiting = null; w({ value: item, done: false }); } else this.#items.push(item);
  }

  close(): void {
    this.#closed = true;
    const w = this.#waiting;
    if (w && this.#items.length === 0) { this.#waiting = null; w({ value: undefined, done: true }); }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#items.length) return Promise.resolve({ value: this.#items.shift()!, done: false });
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => { this.#waiting = resolve; });
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.#closed) this.onReturn();
    this.#closed = true;
    this.#items = [];
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
