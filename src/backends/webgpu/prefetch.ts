// Reads the next matrices of a checkpoint on reader threads (../fill-worker.ts) while the upload
// stages the current one (weight-upload.ts): reading the file and copying into staging memory then
// overlap instead of adding up on the JS thread, and two readers read two tensors at once. Buffers
// travel to a reader and back by transfer.
// Only for checkpoints in files (a worker opens the file itself); tensors are fetched in the
// checkpoint's order, which is the order engine/upload.ts places them in, at most PREFETCH_BYTES
// ahead (at least one tensor). A tensor asked for out of that order is simply not prefetched.
import { existsSync } from 'node:fs';
import { tensorBytes } from '../../model/formats.ts';
import { isVector, type Checkpoint, type WeightRecord } from '../../model/types.ts';
import { requantizesToQ8 } from '../requant.ts';
import { replyError, type FillReply, type FillRequest } from '../fill-jobs.ts';

const READERS = 2;
const PREFETCH_BYTES = 1536 << 20;

interface Job { name: string; bytes: number; requant: boolean; buf: ArrayBuffer | null; done: Promise<void> | null }

export class Prefetcher {
  private readonly queue: Job[];
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { job: Job; resolve: () => void; reject: (e: Error) => void }>();
  private next = 0;
  private nextId = 1;
  private ahead = 0;
  private spare: ArrayBuffer[] = [];

  /** Null when the checkpoint has no file a worker could open. */
  static open(ckpt: Checkpoint, denseQ8: boolean): Prefetcher | null {
    if (ckpt.kind === 'synthetic' || !existsSync(ckpt.path) || typeof Worker === 'undefined') return null;
    return new Prefetcher(ckpt.path, [...ckpt.tensors.values()].filter((r) => !isVector(r)), denseQ8);
  }

  private constructor(private readonly path: string, records: WeightRecord[], denseQ8: boolean) {
    this.queue = records.map((r) => {
      const requant = requantizesToQ8(r, denseQ8);
      return { name: r.name, bytes: requant ? tensorBytes('q8_0', r.shape) : r.byteSize, requant, buf: null, done: null };
    });
    for (let i = 0; i < READERS; i++) {
      const w = new Worker(new URL('../fill-worker.ts', import.meta.url).href, { type: 'module' });
      w.onmessage = (e: MessageEvent<FillReply>) => {
        const p = this.pending.get(e.data.id);
        this.pending.delete(e.data.id);
        if (p) p.job.buf = e.data.buf!; // back from the worker
        const err = replyError(e.data);
        if (err) p?.reject(err); else p?.resolve();
      };
      w.onerror = (e) => { e.preventDefault?.(); for (const p of this.pending.values()) p.reject(new Error(`weight reader thread: ${e.message}`)); this.pending.clear(); };
      this.workers.push(w);
    }
    this.refill();
  }

  /**
   * The canonical (or re-quantised) bytes of `name` once read, or null if it was not prefetched;
   * `release()` hands the buffer back after use.
   */
  async take(name: string): Promise<{ bytes: Uint8Array; release: () => void } | null> {
    const job = this.queue.find((j) => j.name === name && j.done);
    if (!job) return null;
    try {
      await job.done;
    } finally {
      this.queue.splice(this.queue.indexOf(job), 1);
      this.next--;
    }
    return {
      bytes: new Uint8Array(job.buf!, 0, job.bytes),
      release: () => {
        this.ahead -= job.bytes;
        this.spare.push(job.buf!);
        if (this.spare.length > READERS + 1) this.spare.sort((a, b) => a.byteLength - b.byteLength).shift();
        this.refill();
      },
    };
  }

  /** Starts reading the next tensors while they fit the read-ahead budget. */
  private refill(): void {
    while (this.next < this.queue.length && (this.ahead === 0 || this.ahead + this.queue[this.next].bytes <= PREFETCH_BYTES)) {
      const job = this.queue[this.next++], id = this.nextId++;
      job.buf = this.buffer(job.bytes);
      this.ahead += job.bytes;
      job.done = new Promise<void>((resolve, reject) => this.pending.set(id, { job, resolve, reject }));
      job.done.catch(() => {}); // seen by take()
      const req: FillRequest = { t: 'fill', id, path: this.path, name: job.name, requant: job.requant, buf: job.buf, bytes: job.bytes };
      this.workers[id % READERS].postMessage(req, [job.buf]);
    }
  }

  /** A spare buffer of at least `bytes` (the largest are kept; growing is rare). */
  private buffer(bytes: number): ArrayBuffer {
    const i = this.spare.findIndex((b) => b.byteLength >= bytes);
    if (i >= 0) return this.spare.splice(i, 1)[0];
    this.spare.sort((a, b) => a.byteLength - b.byteLength).shift(); // drop the smallest, for a bigger one
    return new ArrayBuffer(bytes);
  }

  close(): void {
    for (const w of this.workers) w.postMessage({ t: 'close' } satisfies FillRequest);
    this.workers.length = 0;
    this.spare = [];
  }
}
