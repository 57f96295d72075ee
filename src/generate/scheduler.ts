// One engine, many requests. A fixed set of slots (sessions with their own K/V cache, created once:
// cache memory is never freed) serves a FIFO queue. Each turn of the loop runs one step of one
// running request (a prefill chunk of ≤ maxBatch tokens, or one decode token), round robin, then
// yields to the event loop so HTTP I/O flows and an abort is seen before that request's next step.
// An aborted request leaves its slot at once; a new request takes the free slot whose cached
// tokens share the longest prefix with its prompt.
import { Channel } from './channel.ts';
import type { Constraint } from './constrain/constraint.ts';
import type { EngineSession, LanguageModel } from './engine.ts';
import { Sampler, type SampledToken, type SamplingOptions } from './sampler.ts';
import { Stats, type FinishReason } from './stats.ts';

/** Turns sampled tokens into a request's events (text, harmony deltas…). */
export interface OutputHandler<E> {
  /** Sees every sampled token, stop tokens included; `stop: true` ends the request (a stop string). */
  token(t: SampledToken): { events: E[]; stop?: boolean };
  /** After the last token (not after a cancel or an error): whatever was held back. */
  end(finish: 'stop' | 'length'): E[];
}

export interface GenerateJob<E> {
  prompt: readonly number[];
  /** Tokens to sample at most (the context may end the request sooner, finish 'length'). */
  maxTokens: number;
  sampling: SamplingOptions;
  /** Sampled ids that end the request with finish 'stop' (they still reach `output`). */
  stopIds: ReadonlySet<number>;
  signal?: AbortSignal;
  output: OutputHandler<E>;
  /** Forced tokens and logit masks for this generation (structured output, reasoning budget). */
  constraint?: Constraint | null;
}

export interface Usage { promptTokens: number; cachedTokens: number; completionTokens: number }
export interface End { type: 'end'; finish: FinishReason; usage: Usage; stopId?: number; error?: string }

export interface SchedulerOptions {
  slots: number;
  /** Positions per slot. */
  context: number;
  /** Requests that may wait for a slot; one more is refused with QueueFullError. */
  maxQueue: number;
  /** Ids ≥ limit are never sampled (vocab.ts). */
  limit: number;
  stats?: Stats;
}

export class QueueFullError extends Error {
  constructor(readonly queued: number) { super(`the queue is full (${queued} requests waiting)`); }
}

interface Slot { session: EngineSession; tokens: number[]; run: Run | null; used: number }
interface Run {
  job: GenerateJob<unknown>; out: Channel<unknown>; sampler: Sampler; usage: Usage;
  slot: Slot | null; pending: number[]; since: number; done: boolean; cancel: boolean;
  /** Tokens that went out last step and are fed next: a sampled one, and any forced after it. */
  feed: number[];
  unlisten: () => void;
}

export class Scheduler {
  readonly stats: Stats;
  readonly #slots: Slot[];
  readonly #queue: Run[] = [];
  readonly #running: Run[] = [];
  #turn = 0;
  #admitted = 0;
  #stepping: Run | null = null;
  #looping = false;

  constructor(private readonly model: LanguageModel, readonly o: SchedulerOptions) {
    this.stats = o.stats ?? new Stats();
    this.#slots = Array.from({ length: o.slots }, () => ({ session: model.newSession(o.context), tokens: [], run: null, used: 0 }));
  }

  get slots(): number { return this.#slots.length; }
  get busy(): number { return this.#running.length; }
  get queued(): number { return this.#queue.length; }

  /**
   * Queues a request; its events (then one End) arrive on the returned iterator. Throws
   * QueueFullError when every slot is busy and `maxQueue` requests already wait, RangeError when
   * the prompt is empty or does not fit the context.
   */
  submit<E>(job: GenerateJob<E>): AsyncIterableIterator<E | End> {
    const n = job.prompt.length;
    if (n === 0) throw new RangeError('the prompt is empty');
    if (n >= this.o.context) throw new RangeError(`the prompt has ${n} tokens; the context is ${this.o.context} (at most ${this.o.context - 1} prompt tokens)`);
    const free = this.#slots.some((s) => !s.run) && this.#queue.length === 0;
    if (!free && this.#queue.length >= this.o.maxQueue) throw new QueueFullError(this.#queue.length);
    const out = new Channel<E | End>(() => this.#cancel(run));
    const onAbort = () => this.#cancel(run);
    job.signal?.addEventListener('abort', onAbort);
    const run: Run = {
      job: job as GenerateJob<unknown>, out: out as Channel<unknown>, sampler: new Sampler(job.sampling, this.o.limit),
      usage: { promptTokens: n, cachedTokens: 0, completionTokens: 0 }, slot: null, pending: [], feed: [],
      since: performance.now(), done: false, cancel: false, unlisten: () => job.signal?.removeEventListener('abort', onAbort),
    };
    this.#queue.push(run);
    if (job.signal?.aborted) this.#cancel(run);
    this.#admit();
    return out;
  }

  /** Ends every request (shutdown). */
  close(): void {
    for (const r of [...this.#queue, ...this.#running]) this.#cancel(r);
  }

  #admit(): void {
    for (;;) {
      const free = this.#slots.filter((s) => !s.run);
      const run = free.length ? this.#queue.shift() : undefined;
      if (!run) break;
      const prompt = run.job.prompt;
      const reuse = (s: Slot) => Math.min(commonPrefix(s.tokens, prompt), prompt.length - 1);
      // The longest reusable prefix; among equals the least recently used slot keeps the others' caches.
      const slot = free.reduce((a, b) => (reuse(b) > reuse(a) || (reuse(b) === reuse(a) && b.used < a.used) ? b : a));
      slot.used = ++this.#admitted;
      let keep = reuse(slot);
      if (!slot.session.rewind(keep)) { slot.session.rewind(0); keep = 0; }
      slot.tokens.length = keep;
      slot.run = run;
      run.slot = slot;
      run.pending = prompt.slice(keep);
      run.usage.cachedTokens = keep;
      this.stats.promptTokens += prompt.length;
      this.stats.cachedTokens += keep;
      this.#running.push(run);
    }
    if (this.#running.length && !this.#looping) void this.#loop();
  }

  async #loop(): Promise<void> {
    this.#looping = true;
    try {
      while (this.#running.length) {
        const run = this.#running[this.#turn++ % this.#running.length];
        this.#stepping = run;
        try {
          await this.#step(run);
        } catch (e) {
          run.slot!.session.rewind(0);
          run.slot!.tokens.length = 0;
          this.#finish(run, 'error', { error: e instanceof Error ? e.message : String(e) });
        }
        this.#stepping = null;
        if (run.cancel) this.#finish(run, 'cancelled');
        await nextMacrotask();
      }
    } finally {
      this.#looping = false;
    }
  }

  async #step(run: Run): Promise<void> {
    const slot = run.slot!, s = slot.session, stats = this.stats;
    const t0 = performance.now();
    let logits: Float32Array;
    if (run.pending.length) {
      const chunk = run.pending.splice(0, this.model.maxBatch);
      logits = await s.eval(chunk, 'last');
      slot.tokens.push(...chunk);
      stats.prefillTokens += chunk.length;
      stats.prefillSeconds += (performance.now() - t0) / 1000;
      if (run.pending.length || run.cancel) return;
    } else {
      logits = await s.eval(run.feed, 'last');
      slot.tokens.push(...run.feed);
    }
    if (run.cancel) return;
    const decoding = run.usage.completionTokens > 0;
    run.feed = [];
    const c = run.job.constraint;
    let forced = c?.forced(this.#room(run)) ?? null;
    if (!forced?.length) {
      if (c) await c.mask(logits, this.o.limit, this.#room(run));
      if (run.cancel || !this.#emit(run, run.sampler.sample(logits))) return;
      forced = c?.forced(this.#room(run)) ?? null;
    }
    // Forced tokens go out like sampled ones and are fed together in the next step.
    while (forced?.length) {
      for (const id of forced) if (!this.#emit(run, { id })) return;
      forced = c!.forced(this.#room(run));
    }
    if (decoding) stats.decodeSeconds += (performance.now() - t0) / 1000;
  }

  /** Tokens that may still go out: until max_tokens, or until the context is full (see #emit). */
  #room(run: Run): number {
    const context = this.o.context - run.slot!.session.position - run.feed.length;
    return Math.max(1, Math.min(run.job.maxTokens - run.usage.completionTokens, context));
  }

  /** One token goes out (to the constraint, then the output); false once that ended the run. */
  #emit(run: Run, t: SampledToken): boolean {
    const stats = this.stats;
    run.job.constraint?.accept(t.id);
    if (run.usage.completionTokens++ === 0) stats.recordTtft((performance.now() - run.since) / 1000);
    else stats.decodeTokens++;
    const { events, stop } = run.job.output.token(t);
    for (const e of events) run.out.push(e);
    // The token is fed at position + feed.length: with no room left, the run ends after it.
    if (run.job.stopIds.has(t.id)) this.#finish(run, 'stop', { stopId: t.id });
    else if (stop) this.#finish(run, 'stop');
    else if (run.usage.completionTokens >= run.job.maxTokens || run.slot!.session.position + run.feed.length >= this.o.context) this.#finish(run, 'length');
    else {
      run.feed.push(t.id);
      return true;
    }
    return false;
  }

  #cancel(run: Run): void {
    if (run.done) return;
    if (this.#stepping === run) run.cancel = true; // its forward pass is in flight: finish after it
    else this.#finish(run, 'cancelled');
  }

  #finish(run: Run, finish: FinishReason, extra: Partial<End> = {}): void {
    if (run.done) return;
    run.done = true;
    run.unlisten();
    run.job.constraint?.close();
    if (finish === 'stop' || finish === 'length') for (const e of run.job.output.end(finish)) run.out.push(e);
    run.out.push({ type: 'end', finish, usage: { ...run.usage }, ...extra } satisfies End);
    run.out.close();
    this.stats.finished[finish]++;
    const q = this.#queue.indexOf(run);
    if (q >= 0) this.#queue.splice(q, 1);
    const r = this.#running.indexOf(run);
    if (r >= 0) this.#running.splice(r, 1);
    if (run.slot) run.slot.run = null;
    this.#admit();
  }
}

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/**
 * Lets timers and I/O run between two forward passes: a resolved promise (the CPU backend's eval)
 * only drains microtasks, so HTTP writes and client disconnects would wait for the whole request.
 */
export function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
