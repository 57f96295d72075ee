// One engine, many requests. A fixed set of slots (sessions with their own K/V cache, created once:
// cache memory is never freed) serves a FIFO queue. Each turn of the loop is one forward pass over
// every running request (continuous batching): one decode token for each that is generating, and
// prompt chunks (≤ maxBatch tokens in all) for those still prefilling, taken round robin; then it
// yields to the event loop so HTTP I/O flows and an abort is seen before that request's next step.
// An aborted request leaves its slot at once; a new request takes the free slot whose cached
// tokens share the longest prefix with its prompt.
import { Channel } from './channel.ts';
import type { Constraint } from './constrain/constraint.ts';
import type { EngineSession, LanguageModel } from './language-model.ts';
import { commonPrefix, PromptCache } from './prompt-cache.ts';
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
  /** Bytes of conversation K/V kept beyond the slots (prompt-cache.ts); 0 or absent: none. */
  promptCacheBytes?: number;
  stats?: Stats;
}

/** Fewer tokens than this are not worth a saved copy (re-prefilling them is cheap). */
const MIN_SAVED = 32;

export class QueueFullError extends Error {
  constructor(readonly queued: number) { super(`the queue is full (${queued} requests waiting)`); }
}

interface Slot { session: EngineSession; tokens: number[]; run: Run | null; used: number }
/** A run's share of one forward pass: its tokens, of which `prompt` are prompt tokens. */
interface Part { run: Run; ids: number[]; prompt: number }
interface Run {
  job: GenerateJob<unknown>; out: Channel<unknown>; sampler: Sampler; usage: Usage;
  slot: Slot | null; since: number; done: boolean; cancel: boolean;
  /** Prompt tokens still to prefill. */
  pending: number[];
  /** Tokens that went out and are fed next: a sampled one, and any forced after it. */
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
  readonly #stepping = new Set<Run>();
  readonly #cache: PromptCache | null;
  #looping = false;
  #rows = new Float32Array(0);

  constructor(private readonly model: LanguageModel, readonly o: SchedulerOptions) {
    this.stats = o.stats ?? new Stats();
    this.#cache = o.promptCacheBytes ? new PromptCache(o.promptCacheBytes) : null;
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

  /** Ends every request (shutdown) and frees the saved conversations. */
  close(): void {
    for (const r of [...this.#queue, ...this.#running]) this.#cancel(r);
    this.#cache?.clear();
  }

  /** Saves what a slot holds beyond its first `keep` tokens are overwritten, when that is worth keeping. */
  #spill(slot: Slot, keep: number): void {
    if (!this.#cache || slot.tokens.length - keep < MIN_SAVED || slot.session.position !== slot.tokens.length) return;
    this.#cache.put(slot.tokens, slot.session.save());
  }

  /** Saved conversations (the prompt cache beyond the slots); null when its budget is 0. */
  get promptCache(): PromptCache | null { return this.#cache; }

  #admit(): void {
    for (;;) {
      const free = this.#slots.filter((s) => !s.run);
      const run = free.length ? this.#queue.shift() : undefined;
      if (!run) break;
      const prompt = run.job.prompt, cap = prompt.length - 1;
      const reuse = (s: Slot) => Math.min(commonPrefix(s.tokens, prompt), cap);
      // The longest reusable prefix; among equals the least recently used slot keeps the others' caches.
      let slot = free.reduce((a, b) => (reuse(b) > reuse(a) || (reuse(b) === reuse(a) && b.used < a.used) ? b : a));
      // …unless a conversation saved beyond the slots continues further: it goes into the least
      // recently used free slot.
      const saved = this.#cache?.best(prompt, cap);
      if (saved && saved.reuse > reuse(slot)) {
        slot = free.reduce((a, b) => (b.used < a.used ? b : a));
        this.#spill(slot, 0);
        slot.session.restore(this.#cache!.take(saved.entry).state);
        saved.entry.state.release();
        slot.tokens = [...saved.entry.tokens];
      } else {
        this.#spill(slot, reuse(slot));
      }
      slot.used = ++this.#admitted;
      let keep = reuse(slot);
      if (!slot.session.rewind(keep)) { slot.session.rewind(0); keep = 0; }
      slot.tokens.length = keep;
      slot.run = run;
      run.slot = slot;
      run.pending = prompt.slice(keep);
      run.feed = [];
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
        const batch = this.#batch();
        for (const b of batch) this.#stepping.add(b.run);
        try {
          await this.#step(batch);
        } catch (e) {
          for (const { run } of batch) {
            run.slot!.session.rewind(0);
            run.slot!.tokens.length = 0;
            this.#finish(run, 'error', { error: e instanceof Error ? e.message : String(e) });
          }
        }
        for (const { run } of batch) {
          this.#stepping.delete(run);
          if (run.cancel) this.#finish(run, 'cancelled');
        }
        await nextMacrotask();
      }
    } finally {
      this.#looping = false;
    }
  }

  /**
   * This turn's work: the one token each generating request feeds, then (round robin, in the room
   * left) prompt chunks and the several tokens a constraint forced at once.
   */
  #batch(): Part[] {
    const n = this.#running.length, start = this.#turn++ % n, max = this.model.maxBatch;
    const order = Array.from({ length: n }, (_, i) => this.#running[(start + i) % n]);
    const input = (r: Run) => (r.pending.length ? r.pending : r.feed);
    const batch: Part[] = [];
    let rows = 0;
    for (const run of order) {
      if (input(run).length !== 1 || rows >= max) continue;
      batch.push({ run, ids: input(run).splice(0, 1), prompt: run.pending === input(run) ? 1 : 0 });
      rows++;
    }
    for (const run of order) {
      const from = input(run);
      if (from.length === 0 || rows >= max || batch.some((b) => b.run === run)) continue;
      const ids = from.splice(0, max - rows);
      batch.push({ run, ids, prompt: from === run.pending ? ids.length : 0 });
      rows += ids.length;
    }
    return batch;
  }

  async #step(batch: Part[]): Promise<void> {
    const stats = this.stats, t0 = performance.now();
    const steps = batch.map((b) => ({ session: b.run.slot!.session, ids: b.ids }));
    // Every run that samples after this pass wants the plain argmax: the engine picks the ids
    // where the logits are (a GPU then reads back a few bytes, not a vocabulary row per run).
    const greedy = this.model.stepGreedy && batch.every(({ run }) => run.pending.length > 0 || run.feed.length > 0 || (run.sampler.greedyOnly && !run.job.constraint));
    const picked = greedy ? await this.model.stepGreedy!(steps, this.o.limit) : null;
    // one array for every step's rows: each is sampled before the next step overwrites it
    if (!picked && this.#rows.length < steps.length * this.model.vocabSize) this.#rows = new Float32Array(steps.length * this.model.vocabSize);
    const logits = picked ? null : await this.model.step(steps, this.#rows);
    const dt = (performance.now() - t0) / 1000;
    let prompt = 0;
    for (const [i, { run, ids }] of batch.entries()) {
      run.slot!.tokens.push(...ids);
      prompt += batch[i].prompt;
      this.#stepping.delete(run); // its forward pass is done: a cancel from now on ends it at once
      if (run.cancel) this.#finish(run, 'cancelled');
      if (run.pending.length || run.feed.length || run.done) continue;
      if (picked) {
        if (this.#emit(run, run.sampler.accept(picked[i]))) this.#emitForced(run, null);
        continue;
      }
      const masked = this.#sample(run, logits![i]);
      if (masked) await masked;
    }
    // A pass that carries prompt tokens counts as prefill time, one of decode tokens only as decode time.
    stats.prefillTokens += prompt;
    if (prompt) stats.prefillSeconds += dt; else stats.decodeSeconds += dt;
  }

  /**
   * After a run's last input: forced tokens, or a sample under its constraint's mask, go out.
   * Synchronous unless the constraint computes a mask (a promise then).
   */
  #sample(run: Run, logits: Float32Array): Promise<void> | void {
    const c = run.job.constraint;
    const forced = c?.forced(this.#room(run)) ?? null;
    if (forced?.length) return this.#emitForced(run, forced);
    if (!c) {
      if (this.#emit(run, run.sampler.sample(logits))) this.#emitForced(run, null);
      return;
    }
    const then = () => {
      if (!run.done && this.#emit(run, run.sampler.sample(logits))) this.#emitForced(run, c.forced(this.#room(run)));
    };
    const masked = c.mask(logits, this.o.limit, this.#room(run));
    if (masked) return masked.then(then);
    then();
  }

  /** Forced tokens go out like sampled ones and are fed together in the next step. */
  #emitForced(run: Run, forced: number[] | null): void {
    const c = run.job.constraint;
    while (forced?.length) {
      for (const id of forced) if (!this.#emit(run, { id })) return;
      forced = c!.forced(this.#room(run));
    }
  }

  /** Tokens that may still go out: until max_tokens, or until the context is full (see #emit). */
  #room(run: Run): number {
    const context = this.o.context - run.slot!.session.position - run.feed.length;
    return Math.max(1, Math.min(run.job.maxTokens - run.usage.completionTokens, context));
  }

  /** One token goes out (to the constraint, then the output); false once that ended the run. */
  #emit(run: Run, t: SampledToken): boolean {
    if (run.done) return false;
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
    if (this.#stepping.has(run)) run.cancel = true; // its forward pass is in flight: finish after it
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


/**
 * Lets timers and I/O run between two forward passes: a resolved promise (the CPU backend's eval)
 * only drains microtasks, so HTTP writes and client disconnects would wait for the whole request.
 */
export function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
