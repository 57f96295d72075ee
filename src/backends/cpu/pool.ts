// Threads for the CPU backend: the calling thread and one worker per other thread take chunks of
// a job's rows from a shared counter until none are left, all on the same shared arena memories:
// a thread slowed by anything else on its core (a busy SMT sibling, a background process, an
// efficiency core) takes fewer chunks instead of holding up the others. Dispatch is a generation
// counter in a shared control block: workers spin ~50 µs, then sleep on Atomics.wait and announce
// it, so a wake costs ~1 µs while busy and a futex only after idling (research/feasibility.md §4:
// futex round trips cost 50–65 µs here). Never more spinning threads than `threads`.
import type { Arena } from './arena.ts';
import { MAX_THREADS } from '../options.ts';

// control block layout (Int32 indices)
export const GEN = 0, DONE = 1, QUIT = 2, ARENA = 3, KERNEL = 4, NARGS = 5, N = 6, PER_ARG = 7, PER_STRIDE = 8,
  FAILED = 12, NEXT = 13, CHUNK = 14, JOBS = 15, SLEEP = 16; // SLEEP + worker id
export const MAX_ARGS = 16;
/** Argument lists of one dispatch: jobs of the same kernel and row count (a layer's experts). */
export const MAX_JOBS = 32;
/** Below this many multiply-adds a job runs on the calling thread (a wake-up costs ~1–50 µs). */
const MIN_PARALLEL_WORK = 1 << 17;

/**
 * Chunks per thread a job is cut into: enough that a thread running at half speed costs about one
 * chunk, few enough that taking one (an atomic add on a shared line, ~0.1 µs) stays negligible.
 */
const CHUNKS_PER_THREAD = 8;

/** Rows per chunk of a job of n rows for T threads, a multiple of `align`. */
export function chunkRows(n: number, T: number, align: number): number {
  return Math.max(1, Math.ceil(Math.ceil(n / align) / (T * CHUNKS_PER_THREAD))) * align;
}

/**
 * Runs fn over chunks [r0, r1) of job j taken from the counter at ctl[NEXT] until the n rows of
 * every one of the ctl[JOBS] jobs (at least one) are gone: one counter over all jobs, so threads
 * wait for each other once per dispatch, not once per job.
 */
export function takeChunks(ctl: Int32Array, n: number, fn: (r0: number, r1: number, j: number) => void): void {
  const rows = ctl[CHUNK], per = Math.ceil(n / rows), total = per * Math.max(1, ctl[JOBS]);
  for (let i = Atomics.add(ctl, NEXT, 1); i < total; i = Atomics.add(ctl, NEXT, 1)) {
    const j = Math.floor(i / per), r0 = (i - j * per) * rows;
    fn(r0, Math.min(n, r0 + rows), j);
  }
}

export class Pool {
  /** GEN … JOBS, then a sleep flag per worker (SLEEP + id): sized for the most threads allowed. */
  private ctl = new Int32Array(new SharedArrayBuffer(4 * (SLEEP + MAX_THREADS)));
  private args = new Float64Array(new SharedArrayBuffer(8 * MAX_ARGS * MAX_JOBS));
  private workers: Worker[] = [];
  private arenas: Arena[] = [];
  private names: string[] = [];
  private ids = new Map<string, number>();

  constructor(readonly size: number) {
    if (!(size >= 1 && size <= MAX_THREADS)) throw new RangeError(`threads must be 1..${MAX_THREADS}, got ${size}`);
  }

  /** Starts the workers on these arenas (resolves when every worker is listening). */
  async attach(arenas: Arena[]): Promise<void> {
    this.arenas = arenas;
    const module = arenas[0].module; // every arena of a pool instantiates the same build
    this.names = Object.keys(WebAssembly.Module.exports(module).reduce((o, e) => (e.kind === 'function' ? { ...o, [e.name]: 1 } : o), {}));
    this.names.forEach((n, i) => this.ids.set(n, i));
    const ready: Promise<void>[] = [];
    for (let id = 1; id < this.size; id++) {
      const w = new Worker(new URL('./worker.ts', import.meta.url).href, { type: 'module' });
      ready.push(new Promise((res, rej) => {
        w.onmessage = () => res();
        w.onerror = (e) => rej(new Error(`cpu worker ${id} failed: ${(e as ErrorEvent).message}`));
      }));
      w.postMessage({ module, memories: arenas.map((a) => a.memory), ctl: this.ctl.buffer, args: this.args.buffer, id, names: this.names });
      this.workers.push(w);
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      this.close(); // the workers that did start would keep the process alive
      throw e;
    }
  }

  /**
   * Runs kernel `name`(…args, r0, r1) over n items split across the threads. `work` (roughly the
   * multiply-adds) keeps small jobs on the calling thread, where a dispatch would cost more than it saves.
   */
  run(arena: number, name: string, args: number[], n: number, per?: { arg: number; stride: number }, align = 4, work = Infinity): void {
    this.runJobs(arena, name, [args], n, per, align, work);
  }

  /**
   * `run` for several argument lists of the same kernel and row count (≤ MAX_JOBS, as many
   * arguments each) in one dispatch; `work` is that of all of them.
   */
  runJobs(arena: number, name: string, jobs: number[][], n: number, per?: { arg: number; stride: number }, align = 4, work = Infinity): void {
    const T = this.workers.length + 1, J = jobs.length, nargs = jobs[0].length;
    let alike = J <= MAX_JOBS && nargs <= MAX_ARGS;
    for (let j = 1; j < J; j++) alike &&= jobs[j].length === nargs;
    if (!alike) throw new RangeError(`runJobs: ${J} jobs of ${nargs} arguments (at most ${MAX_JOBS} × ${MAX_ARGS}, all alike)`);
    const fn = (this.arenas[arena].k as unknown as Record<string, (...a: number[]) => void>)[name];
    if (T === 1 || J * n < 2 * align || work < MIN_PARALLEL_WORK) {
      for (const args of jobs) fn(...args, 0, n);
      return;
    }
    const ctl = this.ctl;
    ctl[ARENA] = arena; ctl[KERNEL] = this.ids.get(name)!; ctl[NARGS] = nargs; ctl[N] = n; ctl[JOBS] = J;
    ctl[PER_ARG] = per ? per.arg : -1; ctl[PER_STRIDE] = per ? per.stride : 0;
    ctl[CHUNK] = chunkRows(J * n, T, align);
    for (let j = 0; j < J; j++) for (let i = 0; i < nargs; i++) this.args[j * MAX_ARGS + i] = jobs[j][i];
    Atomics.store(ctl, NEXT, 0);
    Atomics.store(ctl, DONE, 0);
    Atomics.add(ctl, GEN, 1);
    for (let id = 1; id < T; id++) if (Atomics.load(ctl, SLEEP + id)) Atomics.notify(ctl, GEN);
    // a trap on this thread waits for the workers too: nothing may touch this memory while they run
    let trap: Error | null = null;
    try { takeChunks(ctl, n, (r0, r1, j) => fn(...jobs[j], r0, r1)); } catch (e) { trap = e as Error; }
    let spins = 0;
    while (Atomics.load(ctl, DONE) < T - 1) {
      if (++spins > 20000) { Atomics.wait(ctl, DONE, Atomics.load(ctl, DONE), 1); }
    }
    const inWorker = Atomics.load(ctl, FAILED) !== 0;
    Atomics.store(ctl, FAILED, 0);
    if (trap || inWorker) {
      const where = [trap ? `on the calling thread (${trap.message})` : '', inWorker ? 'in a worker thread' : ''].filter(Boolean).join(' and ');
      throw new Error(`cpu kernel ${name} failed ${where}: part of its result is missing`);
    }
  }

  /** Stops and terminates the workers; safe to call at any time, more than once. */
  close(): void {
    if (!this.workers.length) return;
    Atomics.store(this.ctl, QUIT, 1);
    Atomics.add(this.ctl, GEN, 1);
    Atomics.notify(this.ctl, GEN);
    for (const w of this.workers) w.terminate();
    this.workers = [];
  }
}
