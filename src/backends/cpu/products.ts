// Weight × activation products of the CPU backend. A product runs inside the memory holding its
// weights: the activations (quantised first where the kernel reads q8) are copied into that
// arena's io area and the products copied back to arena 0 — kilobytes against the megabytes of
// weights. A layer's expert products go out to the pool as one dispatch where they can.
import type { Format } from '../../model/formats.ts';
import type { Arena } from './arena.ts';
import { actRowBytes, type MatmulKernel } from './kernels.ts';
import { MAX_JOBS, type Pool } from './pool.ts';
import type { Layout } from './repack.ts';
import type { Routing } from './route.ts';
import type { CpuBuf, CpuTensor } from './tensors.ts';

/** Tokens per pass through a weight arena (the batched kernels' accumulators hold this many). */
export const PASS_ROWS = 128;
/**
 * Tokens an expert may have for its product to share a dispatch with experts of other token
 * counts, on the one-token kernel (which then loops over them).
 */
const FEW_TOKENS = 4;

/** A weight arena's io area (activations in, products out) and its per-thread batched-kernel scratch. */
export interface ArenaIo { io: number; ioBytes: number; batch: number; batchStride: number }

/** Rows of one expert's product gathered from (and scattered back to) the activation rows. */
export interface ExpertScratch { x: CpuBuf; y: CpuBuf; routing: Routing }

export class Products {
  /** Each weight arena's io area, set at load. */
  readonly io = new Map<Arena, ArenaIo>();
  /** Arena-0 buffer for quantised activations, set at load. */
  q8: CpuBuf | null = null;
  /** Set at load for a checkpoint with experts. */
  ex: ExpertScratch | null = null;
  /** Per format, per layout: nothing is built or concatenated per product. */
  private kernels = new Map<string, Map<Layout, MatmulKernel>>();
  // reused: nothing is allocated per token
  private active: number[] = [];
  private jobArgs: number[][] = Array.from({ length: MAX_JOBS }, () => []);
  private jobs: number[][] = [];

  constructor(private readonly a0: Arena, private readonly pool: Pool, private readonly kernelFor: (format: Format, layout: Layout) => MatmulKernel) {}

  /** The kernel for a weight matrix (its format and layout), looked up once per pair. */
  private kernel(w: CpuTensor): MatmulKernel {
    let byLayout = this.kernels.get(w.format);
    if (!byLayout) this.kernels.set(w.format, (byLayout = new Map()));
    let k = byLayout.get(w.layout);
    if (!k) byLayout.set(w.layout, (k = this.kernelFor(w.format as Format, w.layout)));
    return k;
  }

  /** B rows of nIn f32 at x (arena 0) as `kern` reads them: x itself, or quantised into q8. */
  private acts(kern: MatmulKernel, x: number, nIn: number, B: number): number {
    if (kern.act !== 'q8') return x;
    this.a0.k.quantize_q8(x, this.q8!.ptr, nIn, B);
    return this.q8!.ptr;
  }

  /** y[B][rows] = x[B][cols] · Wᵀ with x, y in arena 0. */
  matmul(w: CpuTensor, x: number, y: number, B: number): void {
    const kern = this.kernel(w), nIn = w.cols, nOut = w.rows;
    const src = this.acts(kern, x, nIn, B), inRow = actRowBytes(kern.act, nIn);
    const s = this.io.get(w.arena)!, a0u8 = this.a0.u8, u8 = w.arena.u8;
    const pass = Math.max(1, Math.min(PASS_ROWS, Math.floor((s.ioBytes - 64) / (inRow + nOut * 4))));
    const xs = s.io, ys = s.io + Math.ceil((pass * inRow) / 64) * 64;
    for (let b0 = 0; b0 < B; b0 += pass) {
      const n = Math.min(pass, B - b0);
      u8.set(a0u8.subarray(src + b0 * inRow, src + (b0 + n) * inRow), xs);
      if (kern.batched && n >= 2) this.pool.run(w.arena.index, kern.batched, [w.ptr, xs, ys, nIn, nOut, n, s.batch], nOut, { arg: 6, stride: s.batchStride }, kern.rows, nIn * nOut * n);
      else this.pool.run(w.arena.index, kern.name, [w.ptr, xs, ys, nIn, nOut, n], nOut, undefined, kern.rows, nIn * nOut * n);
      a0u8.set(u8.subarray(ys, ys + n * nOut * 4), y + b0 * nOut * 4);
    }
  }

  /**
   * Per expert with tokens (the routing's grouping): its rows of x gathered, one product (weights
   * read once), plus its bias (at bp, nOut per expert), scattered to its slots' rows of y.
   */
  experts(mats: CpuTensor[], xb: CpuBuf, yb: CpuBuf, bp: number, nOut: number, rows: 'token' | 'slot'): void {
    if (this.atOnce(mats, xb, yb, bp, nOut, rows)) return;
    const s = this.ex!, r = s.routing;
    for (let e = 0; e < r.experts; e++) {
      if (r.counts[e] === 0) continue;
      this.gather(e, xb, rows);
      this.matmul(mats[e], s.x.ptr, s.y.ptr, r.counts[e]);
      this.scatter(e, yb, bp, nOut);
    }
  }

  /** Expert e's input rows (its tokens' or slots' rows of x) into the expert scratch x. */
  private gather(e: number, xb: CpuBuf, rows: 'token' | 'slot'): void {
    const s = this.ex!, r = s.routing, f32 = this.a0.f32, maxB = r.maxBatch, nIn = xb.cols;
    for (let i = 0; i < r.counts[e]; i++) {
      const src = xb.row(rows === 'token' ? r.toks[e * maxB + i] : r.slots[e * maxB + i]) / 4;
      f32.copyWithin(s.x.ptr / 4 + i * nIn, src, src + nIn);
    }
  }

  /** Expert e's products in the expert scratch y, plus its bias, out to its slots' rows of y. */
  private scatter(e: number, yb: CpuBuf, bp: number, nOut: number): void {
    const s = this.ex!, r = s.routing, f32 = this.a0.f32, maxB = r.maxBatch, n = r.counts[e];
    this.a0.k.add_bias(s.y.ptr, bp + e * nOut * 4, nOut, n);
    for (let i = 0; i < n; i++) {
      const src = s.y.ptr / 4 + i * nOut;
      f32.copyWithin(yb.row(r.slots[e * maxB + i]) / 4, src, src + nOut);
    }
  }

  /**
   * `experts` in one pool dispatch, so that the threads wait for each other once per product
   * instead of once per expert: when every expert with tokens has as many of them (one stream's
   * decode: four experts, one token each; the kernel `matmul` would pick), or when none has more
   * than FEW_TOKENS (several streams' decode steps: the one-token kernel, which loops over its
   * tokens, for all), and all the inputs and products fit the weight arena's io area together. The
   * kernels' sums do not depend on the tokens beside them: the same bits as one dispatch each.
   */
  private atOnce(mats: CpuTensor[], xb: CpuBuf, yb: CpuBuf, bp: number, nOut: number, rows: 'token' | 'slot'): boolean {
    const s = this.ex!, r = s.routing, active = this.active;
    let n = 0, most = 0, total = 0;
    active.length = 0;
    for (let e = 0; e < r.experts; e++) {
      const c = r.counts[e];
      if (c === 0) continue;
      if (active.length && mats[e].arena !== mats[active[0]].arena) return false;
      n = active.length && c !== n ? -1 : c;
      most = Math.max(most, c);
      total += c;
      active.push(e);
    }
    if (active.length < 2 || active.length > MAX_JOBS || (n < 0 && most > FEW_TOKENS)) return false;
    const w0 = mats[active[0]], arena = w0.arena, nIn = w0.cols, kern = this.kernel(w0);
    const inRow = actRowBytes(kern.act, nIn), io = this.io.get(arena)!, J = active.length;
    if (most > PASS_ROWS || (J + 1) * 64 + total * (inRow + nOut * 4) > io.ioBytes) return false;
    const a0u8 = this.a0.u8, u8 = arena.u8, batched = !!kern.batched && n >= 2, jobs = this.jobs;
    jobs.length = J;
    let xs = io.io, ys = io.io + Math.ceil((total * inRow + J * 64) / 64) * 64;
    for (let j = 0; j < J; j++) {
      const e = active[j], m = r.counts[e];
      this.gather(e, xb, rows);
      const src = this.acts(kern, s.x.ptr, nIn, m);
      u8.set(a0u8.subarray(src, src + m * inRow), xs);
      const args = (jobs[j] = this.jobArgs[j]);
      args.length = 0;
      args.push(mats[e].ptr, xs, ys, nIn, nOut, m);
      if (batched) args.push(io.batch);
      xs += Math.ceil((m * inRow) / 64) * 64;
      ys += m * nOut * 4;
    }
    this.pool.runJobs(arena.index, batched ? kern.batched! : kern.name, jobs, nOut, batched ? { arg: 6, stride: io.batchStride } : undefined, kern.rows, total * nIn * nOut);
    for (let j = 0; j < J; j++) {
      const y0 = jobs[j][2], m = jobs[j][5];
      a0u8.set(u8.subarray(y0, y0 + m * nOut * 4), s.y.ptr);
      this.scatter(active[j], yb, bp, nOut);
    }
    return true;
  }
}
