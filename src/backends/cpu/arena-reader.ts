// Reads a checkpoint's matrices on a reader thread (../fill-worker.ts) straight into their places
// in the weight arenas while the JS thread repacks the ones before them (cpu-backend.ts matrix()):
// reading the file and repacking overlap instead of adding up. The weight arenas are shared memory
// that never grows, so the thread writes each tensor where it stays and nothing is copied twice.
// All jobs go out at once in upload order (engine/upload.ts); the thread works through them in that
// order, and matrix() waits for its own. Only for checkpoints in files: the thread opens the file.
import { existsSync } from 'node:fs';
import type { Checkpoint } from '../../model/types.ts';
import { replyError, type FillReply, type FillRequest } from '../fill-jobs.ts';

/** A matrix's canonical bytes (or Q8_0 re-quantisation) to land at memory[offset…offset+bytes). */
export interface ReadJob { name: string; memory: SharedArrayBuffer; offset: number; bytes: number; requant: boolean }

/** Below this many bytes of matrices a thread's start costs more than the overlap saves. */
const MIN_BYTES = 64 << 20;

export class ArenaReader {
  private readonly landed = new Map<string, Promise<void>>();
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private worker: Worker | null;

  /**
   * Null when the checkpoint has no file a thread could open, or holds under MIN_BYTES of matrices;
   * OSS_EDGE_CPU_READER=1 / 0 forces the reader on / off (tests run small checkpoints through it).
   */
  static open(ckpt: Checkpoint, jobs: ReadJob[]): ArenaReader | null {
    const force = process.env.OSS_EDGE_CPU_READER;
    if (force === '0' || ckpt.kind === 'synthetic' || !existsSync(ckpt.path) || typeof Worker === 'undefined' || jobs.length === 0) return null;
    if (force !== '1' && jobs.reduce((n, j) => n + j.bytes, 0) < MIN_BYTES) return null;
    return new ArenaReader(ckpt.path, jobs);
  }

  private constructor(path: string, jobs: ReadJob[]) {
    const w = (this.worker = new Worker(new URL('../fill-worker.ts', import.meta.url).href, { type: 'module' }));
    w.onmessage = (e: MessageEvent<FillReply>) => {
      const p = this.pending.get(e.data.id), err = replyError(e.data);
      this.pending.delete(e.data.id);
      if (err) p?.reject(err); else p?.resolve();
    };
    w.onerror = (e) => {
      e.preventDefault?.();
      for (const p of this.pending.values()) p.reject(new Error(`weight reader thread: ${e.message}`));
      this.pending.clear();
    };
    jobs.forEach((j, i) => {
      const id = i + 1, landed = new Promise<void>((resolve, reject) => this.pending.set(id, { resolve, reject }));
      landed.catch(() => {}); // seen by take()
      this.landed.set(j.name, landed);
      w.postMessage({ t: 'fill-at', id, path, name: j.name, requant: j.requant, memory: j.memory, offset: j.offset, bytes: j.bytes } satisfies FillRequest);
    });
  }

  /** Settles when `name` is in place (rejects with what stopped its read); null if this reader does not read it. */
  take(name: string): Promise<void> | null {
    const p = this.landed.get(name) ?? null;
    this.landed.delete(name);
    return p;
  }

  /** Stops the thread, reads in flight included (a failed load must not keep reading). */
  close(): void {
    this.worker?.terminate();
    this.worker = null;
    for (const p of this.pending.values()) p.reject(new Error('weight reader closed'));
    this.pending.clear();
  }
}
