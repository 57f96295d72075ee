// How a weight matrix reaches GPU memory at file speed (issue 12; the per-value JS repack it
// replaces ran at ~45 MB/s on one core). Per tensor:
//   1. fill()    the reader writes the canonical bytes (formats.ts) into host memory: on reader
//                threads ahead of time when the checkpoint is a file (prefetch.ts), else into one
//                reused buffer here — not into mapped memory: fill() takes a whole tensor at once,
//                the MXFP4 readers read the scale bytes back, and a discrete GPU's staging memory
//                may be write-combined (slow to read)
//   2. stage     STAGING_BYTES of whole rows at a time are copied into a buffer mapped at creation
//                (small enough that the allocators reuse their memory instead of faulting in new)
//   3. repack    the GPU turns each piece into its rows of the part (wgsl/repack.wgsl), or copies
//                it where the layouts coincide (dense rows of whole blocks)
// Nothing waits for the GPU but every WINDOW_BYTES (the previous window, so reading the next
// tensor overlaps the GPU's work and the staging memory in flight stays bounded) and finish().
// `host` repacks on the CPU instead (layout.ts packPart into the part mapped at creation): the
// old way, kept as the reference the tests compare the GPU repack with.
import { rowBytes, tensorBytes, type Format } from '../../model/formats.ts';
import type { WeightRecord } from '../../model/types.ts';
import { requantizeQ8, requantizesToQ8 } from '../requant.ts';
import { repackSpec } from './kernels.ts';
import { packPart, planParts, rowLayout, type RowLayout } from './layout.ts';
import type { Recorder } from './recorder.ts';
import type { Prefetcher } from './prefetch.ts';
import type { RepackOn } from './tuning.ts';

/** One GPU buffer of a matrix: rows [row0, row0 + rows), scales at word sOff. */
export interface Part { buf: GPUBuffer; row0: number; rows: number; sOff: number }
export interface PlacedMatrix { format: Format; layout: RowLayout; parts: Part[] }

const STAGING_BYTES = 8 << 20;
const RING = 8;

interface Slot { buf: GPUBuffer; ready: Promise<void> | null }

/** The clock of the step timings (ms): wall time, unless a benchmark asks for this thread's CPU time. */
let now: () => number = () => performance.now();
export function setUploadClock(clock: () => number): void { now = clock; }

export interface UploadOptions {
  /** Largest part (binding limit, maxBufferSize, EngineOptions.arenaBytes) and rows per part (dispatch grid). */
  partCap: number;
  maxRows: number;
  repack: RepackOn;
  denseQ8: boolean;
  stagingBytes?: number;
}

/**
 * Seconds per step (bench/gpu-upload.ts reports them) and the bytes placed: fill (the reader),
 * map (create a buffer mapped at creation, its range), copy (into it: memcpy, or packPart on the
 * host), unmap, record (copies and repacks), submit, wait (for the GPU).
 */
export interface UploadStats {
  fill_s: number; map_s: number; copy_s: number; unmap_s: number; record_s: number; submit_s: number; wait_s: number;
  bytes: number; repack: RepackOn;
}

export class MatrixUploader {
  readonly stats: UploadStats;
  private host = new Uint8Array(0);
  private readonly ring: Slot[] = [];
  private next = 0;
  private raw: GPUBuffer | null = null;

  constructor(private readonly device: GPUDevice, private readonly rec: Recorder,
    private readonly newPart: (label: string, bytes: number, mapped: boolean) => GPUBuffer, private readonly o: UploadOptions,
    private prefetch: Prefetcher | null = null) {
    this.stats = { fill_s: 0, map_s: 0, copy_s: 0, unmap_s: 0, record_s: 0, submit_s: 0, wait_s: 0, bytes: 0, repack: o.repack };
  }

  async place(w: WeightRecord, progress: (bytes: number) => void): Promise<PlacedMatrix> {
    if (w.shape.length !== 2 && w.shape.length !== 3) throw new Error(`${w.origin}: a ${w.shape.length}-D weight is not a matrix`);
    const requant = requantizesToQ8(w, this.o.denseQ8);
    const format = requant ? 'q8_0' : w.format;
    const cols = w.shape[w.shape.length - 1], rb = rowBytes(format, cols), L = rowLayout(format, cols);
    const bytes = tensorBytes(format, w.shape);
    const t = now();
    const read = await this.prefetch?.take(w.name);
    let raw: Uint8Array;
    if (read) {
      raw = read.bytes;
      progress(w.byteSize);
    } else {
      raw = this.hostBuffer(bytes);
      if (requant) requantizeQ8(w, raw, 0, progress);
      else w.fill(raw, progress);
    }
    this.stats.fill_s += (now() - t) / 1000;
    const parts: Part[] = [];
    for (const plan of planParts(format, w.shape, this.o.partCap, this.o.maxRows)) {
      const src = raw.subarray(plan.row0 * rb, (plan.row0 + plan.rows) * rb), label = `webgpu.weight.${w.name}.${parts.length}`;
      let buf: GPUBuffer;
      if (this.o.repack === 'host') {
        const t0 = now();
        buf = this.newPart(label, plan.bytes, true);
        const dst = new Uint32Array(buf.getMappedRange());
        const t1 = this.lap('map_s', t0);
        try {
          packPart(format, cols, plan.rows, src, dst);
        } catch (e) {
          throw new Error(`${w.origin}: ${(e as Error).message}`);
        }
        buf.unmap();
        this.lap('unmap_s', this.lap('copy_s', t1));
      } else {
        buf = this.newPart(label, plan.bytes, false);
        await this.repackOnGpu(format, L, rb, plan.rows, src, buf);
      }
      parts.push({ buf, row0: plan.row0, rows: plan.rows, sOff: plan.rows * L.qWords });
    }
    read?.release();
    this.stats.bytes += bytes;
    return { format, layout: L, parts };
  }

  /** Waits until the GPU has placed everything; rethrows the first GPU error. Frees the host buffer. */
  async finish(): Promise<void> {
    const t = now();
    await Promise.all(this.ring.map((s) => s.ready));
    await this.device.queue.onSubmittedWorkDone();
    this.stats.wait_s += (now() - t) / 1000;
    this.close();
    for (const s of this.ring.splice(0)) s.buf.destroy();
    this.raw?.destroy();
    this.raw = null;
    this.host = new Uint8Array(0);
    if (this.rec.error) throw this.rec.error;
  }

  /** Stops the reader threads (also when a load fails half way). */
  close(): void {
    this.prefetch?.close();
    this.prefetch = null;
  }

  /** Adds the time since t0 to one step; returns now. */
  private lap(step: 'map_s' | 'copy_s' | 'unmap_s' | 'record_s' | 'submit_s' | 'wait_s', t0: number): number {
    const t = now();
    this.stats[step] += (t - t0) / 1000;
    return t;
  }

  private hostBuffer(bytes: number): Uint8Array {
    if (this.host.length < bytes) this.host = new Uint8Array(bytes);
    return this.host.subarray(0, bytes);
  }

  /**
   * `rows` canonical rows (src) → rows 0… of `part`, a staging buffer of whole rows at a time: the
   * ring's next buffer (mapped again once the GPU has copied out of it), then a GPU copy to the
   * part (layouts alike) or to the scratch buffer the repack kernel reads.
   */
  private async repackOnGpu(format: Format, L: RowLayout, rb: number, rows: number, src: Uint8Array, part: GPUBuffer): Promise<void> {
    const identity = L.sWords === 0 && L.qWords * 4 === rb;
    // pieces of STAGING_BYTES, but no bigger than the part (small models make small staging buffers)
    const cap = Math.ceil(Math.max(Math.min(this.o.stagingBytes ?? STAGING_BYTES, rows * rb), rb) / 4) * 4;
    const per = Math.floor(cap / rb);
    const kernel = identity ? null : this.rec.kernel(repackSpec(format));
    for (let r = 0; r < rows; r += per) {
      const n = Math.min(per, rows - r), size = n * rb, words = Math.ceil(size / 4) * 4;
      const t0 = now();
      const slot = this.slot(cap);
      if (slot.ready) await slot.ready;
      const t1 = this.lap('wait_s', t0);
      const mapped = new Uint8Array(slot.buf.getMappedRange(0, words), 0, size);
      const t2 = this.lap('map_s', t1);
      mapped.set(src.subarray(r * rb, r * rb + size));
      const t3 = this.lap('copy_s', t2);
      slot.buf.unmap();
      const t4 = this.lap('unmap_s', t3);
      if (kernel) {
        this.rec.copy(slot.buf, 0, this.scratch(cap), 0, words);
        this.rec.reserve(1);
        this.rec.dispatchThreads(kernel, [this.scratch(cap), part], { rows: n, rb, qw: L.qWords, sw: L.sWords, nb: L.nb, dstRow: r, partRows: rows },
          n * (L.qWords + L.sWords), false);
      } else {
        this.rec.copy(slot.buf, 0, part, r * rb, size);
      }
      const t5 = this.lap('record_s', t4);
      this.rec.submit(); // before mapAsync: a buffer pending a map cannot be submitted
      slot.ready = slot.buf.mapAsync(GPUMapMode.WRITE);
      this.lap('submit_s', t5);
    }
  }

  /** The ring's next staging buffer, of at least `bytes` (made mapped at creation the first time). */
  private slot(bytes: number): Slot {
    const i = this.next++ % RING;
    let s = this.ring[i];
    if (!s || s.buf.size < bytes) {
      s?.buf.destroy();
      s = this.ring[i] = { buf: this.device.createBuffer({ label: `webgpu.staging.${i}`, size: bytes, usage: GPUBufferUsage.MAP_WRITE | GPUBufferUsage.COPY_SRC, mappedAtCreation: true }), ready: null };
    }
    return s;
  }

  /** What the repack kernel reads (MAP_WRITE buffers cannot be bound as storage). */
  private scratch(bytes: number): GPUBuffer {
    if (!this.raw || this.raw.size < bytes) {
      this.raw?.destroy();
      this.raw = this.device.createBuffer({ label: 'webgpu.staging.raw', size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    }
    return this.raw;
  }
}
