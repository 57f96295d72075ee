// CPU backend: AssemblyScript kernels in wasm memories (DESIGN.md "CPU backend").
// Arena 0 holds activations, f32 vectors and scratch; arenas 1… hold the weight matrices in their
// storage format; K/V caches live in K/V arenas of their own. The weight × activation products run
// in the arena holding their weights (products.ts).
import { FORMATS, rowBytes, tensorBytes, type Format } from '../../model/formats.ts';
import { isVector, type Checkpoint, type ModelConfig, type WeightRecord } from '../../model/types.ts';
import { copyInto, slidingCapacity, type Backend, type Buf, type KvCache, type KvSnapshot, type Tensor } from '../backend.ts';
import { kvValueBytes, type EngineOptions } from '../options.ts';
import { Arena, MAX_ARENA_BYTES } from './arena.ts';
import { ArenaReader, type ReadJob } from './arena-reader.ts';
import { actRowBytes, batchedScratch, matmulKernel } from './kernels.ts';
import { cpuLayout, planArenas, type CpuLayout, type LayoutOptions } from './placement.ts';
import { Pool } from './pool.ts';
import { PASS_ROWS, Products } from './products.ts';
import { GROUP_ROWS, REFUSED, REPACK_KERNEL, layoutBytes, repackScratch, type Layout } from './repack.ts';
import { requantizeQ8 } from '../requant.ts';
import { Routing } from './route.ts';
import { argmax } from '../argmax.ts';
import { resolveVariant, type VariantChoice } from './variants.ts';
import { CpuBuf, CpuKv, CpuKvSnapshot, CpuTensor, attnScratch, kvRuns } from './tensors.ts';

/**
 * K/V arenas: caches live outside the activation arena so their total is not capped by one 4 GiB
 * memory (32k positions of 20b's f32 K/V take 1.6 GB per session). Reserved at load (workers
 * instantiate every memory once), grown as sessions are created.
 */
const KV_ARENAS = 3;

/** Tokens per pass through the V-row unembedding's arena (products.ts PASS_ROWS), whose outputs are large. */
const UNEMBED_PASS_ROWS = 16;

export class CpuBackend implements Backend {
  readonly name = 'cpu';
  private readonly a0: Arena;
  private arenas: Arena[] = [];
  private kvArenas: Arena[] = [];
  /** Each matrix's arena and address, fixed at prepare() (a reader thread fills them ahead). */
  private placed = new Map<string, { arena: Arena; ptr: number; lay: CpuLayout }>();
  private reader: ArenaReader | null = null;
  private experts = new Map<Tensor, CpuTensor[]>();
  /** Every weight × activation product (matmul, expertMatmul) runs there. */
  private readonly products: Products;
  /** The ids buffer route() last filled: expertMatmul and combine read its grouping. */
  private routed: Buf | null = null;
  private readonly pool: Pool;
  private rowTmp = new Float32Array(0);

  /** The kernel variant (build and per-format kernels) every arena of this backend runs. */
  private readonly variant: VariantChoice;
  /** What decides each matrix's layout (placement.ts): the precision and the variant's kernels. */
  private readonly layouts: LayoutOptions;

  constructor(private readonly opts: EngineOptions) {
    this.variant = resolveVariant(opts.kernels);
    this.a0 = new Arena(0, 1 << 20, undefined, this.variant.module);
    this.pool = new Pool(opts.threads);
    this.products = new Products(this.a0, this.pool, (format, layout) => matmulKernel(format, opts.precision, this.variant.name, layout));
    this.layouts = { precision: opts.precision, denseQ8: opts.denseQ8, variant: this.variant.name };
  }

  // ---- load ------------------------------------------------------------------------------------

  async prepare(ckpt: Checkpoint): Promise<void> {
    const { maxBatch } = this.opts;
    const records = [...ckpt.tensors.values()];
    let maxIn = 0, maxOut = 0;
    for (const r of records) {
      if (isVector(r)) continue;
      maxIn = Math.max(maxIn, r.shape[r.shape.length - 1]);
      if (r.shape.length === 3) maxOut = Math.max(maxOut, r.shape[1]);
    }
    // Per weight arena: an io area (activations in, products out; rows per pass fit it) that also
    // serves as the MXFP4 repack scratch, and per-thread scratch for the batched kernels.
    const passRows = Math.min(maxBatch, PASS_ROWS);
    let io = 0;
    for (const r of records) {
      if (isVector(r)) continue;
      const rows = r.shape[r.shape.length - 2], cols = r.shape[r.shape.length - 1];
      const want = r.name === 'unembed' ? Math.min(passRows, UNEMBED_PASS_ROWS) : passRows;
      io = Math.max(io, want * (cols + rows) * 4 + 64);
      io = Math.max(io, repackScratch(cpuLayout(r, this.layouts).layout, rows, cols));
    }
    const batchStride = Math.ceil(batchedScratch(maxIn, passRows, this.a0.k.Q8_PASS.value) / 64) * 64;
    const perArena = io + batchStride * this.pool.size + 256;
    const arenaBytes = Math.min(this.opts.arenaBytes, MAX_ARENA_BYTES);
    const { where, sizes } = planArenas(records, arenaBytes - 65536 - perArena, this.layouts);
    // Weight arenas never grow: their maximum is their size (less address space reserved).
    const weightArenas = sizes.map((s, i) => new Arena(i + 1, s + perArena, s + perArena + 65536, this.variant.module));
    for (const a of weightArenas) this.products.io.set(a, { io: a.alloc(io), ioBytes: io, batch: a.alloc(batchStride * this.pool.size), batchStride });
    this.kvArenas = Array.from({ length: KV_ARENAS }, (_, i) => new Arena(1 + weightArenas.length + i, 0, undefined, this.variant.module));
    this.arenas = [this.a0, ...weightArenas, ...this.kvArenas];
    await this.pool.attach(this.arenas);
    // every matrix's place, in upload order, so that a reader thread can fill them ahead of matrix()
    const jobs: ReadJob[] = [];
    for (const r of records) {
      if (isVector(r)) continue;
      const arena = this.arenas[where.get(r.name)!], lay = cpuLayout(r, this.layouts), ptr = arena.alloc(lay.bytes);
      this.placed.set(r.name, { arena, ptr, lay });
      jobs.push({ name: r.name, memory: arena.memory.buffer as unknown as SharedArrayBuffer, offset: ptr, requant: lay.requant,
        bytes: lay.requant ? tensorBytes('q8_0', r.shape) : r.byteSize });
    }
    this.reader = ArenaReader.open(ckpt, jobs);
    this.products.q8 = this.buffer(maxBatch, Math.ceil(actRowBytes('q8', maxIn) / 4));
    this.rowTmp = new Float32Array(maxIn);
    const c = ckpt.config;
    if (maxOut > 0) {
      this.products.ex = {
        x: this.buffer(maxBatch, Math.max(c.hiddenSize, c.intermediateSize)), y: this.buffer(maxBatch, maxOut),
        routing: new Routing(c.numExperts, c.expertsPerToken, maxBatch),
      };
    }
  }

  async matrix(rec: WeightRecord, progress: (bytes: number) => void): Promise<Tensor> {
    const { arena, ptr, lay } = this.placed.get(rec.name)!;
    const cols = rec.shape[rec.shape.length - 1], rows = rec.shape[rec.shape.length - 2];
    const group = GROUP_ROWS[lay.layout], stack = rec.shape.length === 3 ? rec.shape[0] : 1;
    // a stacked tensor's matrices sit back to back: each must fill whole groups (gpt-oss: 2I and H
    // are multiples of 32) to be repacked in place
    if (stack > 1 && rows % group) throw new Error(`${rec.name}: stacked ${lay.format} matrices need rows divisible by ${group} on the CPU, got ${rows}`);
    const read = this.reader?.take(rec.name);
    if (read) { await read; progress(rec.byteSize); }
    else if (lay.requant) requantizeQ8(rec, arena.u8, ptr, progress);
    else rec.fill(arena.u8.subarray(ptr, ptr + rec.byteSize), progress);
    const rb = rowBytes(lay.format, cols), matrixBytes = layoutBytes(lay.layout, lay.format, rows, cols);
    const tmp = this.products.io.get(arena)!.io;
    const refused = REFUSED[lay.layout];
    const layout: Layout = refused && arena.k[refused.check](ptr, rows * stack, cols) ? refused.use : lay.layout;
    const repack = REPACK_KERNEL[layout];
    if (repack) for (let e = 0; e < stack; e++) arena.k[repack](ptr + e * matrixBytes, rows, cols, tmp);
    const t = new CpuTensor(rec.name, rec.shape, lay.format, arena, ptr, rb, matrixBytes, layout);
    if (rec.shape.length === 3) this.experts.set(t, Array.from({ length: rec.shape[0] }, (_, e) => t.slice(e)));
    return t;
  }

  /** Vectors live beside the activations, where the element-wise kernels run. */
  vector(name: string, shape: readonly number[], data: Float32Array): Tensor {
    const ptr = this.a0.alloc(data.length * 4);
    this.a0.f32.set(data, ptr / 4);
    return new CpuTensor(name, shape, 'f32vec', this.a0, ptr, data.length * 4);
  }

  async finish(): Promise<void> {
    this.reader?.close();
    this.reader = null;
  }

  buffer(rows: number, cols: number): CpuBuf {
    return new CpuBuf(rows, cols, this.a0.alloc(rows * cols * 4));
  }

  kvCache(c: ModelConfig, context: number): CpuKv {
    const kvw = c.numKvHeads * c.headDim, qw = c.numHeads * c.headDim, B = this.opts.maxBatch;
    const caps = c.layerTypes.map((t) => (t === 'sliding_attention' ? slidingCapacity(c.slidingWindow, context, B) : context));
    const e = kvValueBytes(this.opts.precision), stride = attnScratch(c, context, e, this.a0.k.VBLOCK.value);
    // in allocation order: K and V rings per layer, attention scratch, q and out staging, sinks,
    // and the batch's f32 K/V rows on their way into the rings (kv_store_*)
    const sizes = [...caps.flatMap((cap) => [cap * kvw * e, cap * kvw * e]), this.pool.size * stride,
      B * qw * 4, B * qw * 4, c.numHeads * 4, 2 * B * kvw * 4];
    const need = sizes.reduce((n, b) => n + Math.ceil(b / 64) * 64, 0);
    const arena = this.kvArenas.find((a) => a.used + need <= a.maxBytes);
    if (!arena) {
      throw new RangeError(`a K/V cache of ${(need / 2 ** 30).toFixed(2)} GiB for ${context} positions does not fit the remaining K/V memory (${KV_ARENAS} × 4 GiB): lower the context or the number of sessions`);
    }
    const [ptrs, [scr, q, out, sinks, rows]] = [sizes.slice(0, -5), sizes.slice(-5)].map((part) => part.map((b) => arena.alloc(b)));
    const layers = caps.map((cap, l) => ({ k: ptrs[2 * l], v: ptrs[2 * l + 1], cap }));
    return new CpuKv(context, c.headDim, arena, layers, scr, stride, q, out, sinks, e, rows, c);
  }

  // ---- operations (backends/ops.ts) ------------------------------------------------------------

  embed(table: Tensor, ids: Int32Array, B: number, out: Buf): void {
    const t = table as CpuTensor, o = out as CpuBuf;
    const cols = t.cols, tmp = this.rowTmp.subarray(0, cols);
    for (let b = 0; b < B; b++) {
      const id = ids[b];
      FORMATS[t.format as Format].dequant(t.arena.u8.subarray(t.ptr + id * t.rowBytes, t.ptr + (id + 1) * t.rowBytes), tmp, cols);
      this.a0.f32.set(tmp, o.row(b) / 4);
    }
  }

  rmsnorm(x: Buf, w: Tensor, out: Buf, B: number, eps: number): void {
    this.a0.k.rmsnorm((x as CpuBuf).ptr, (w as CpuTensor).ptr, (out as CpuBuf).ptr, x.cols, B, eps);
  }

  matmul(w: Tensor, x: Buf, out: Buf, B: number, bias: Tensor | null): void {
    this.products.matmul(w as CpuTensor, (x as CpuBuf).ptr, (out as CpuBuf).ptr, B);
    if (bias) this.a0.k.add_bias((out as CpuBuf).ptr, (bias as CpuTensor).ptr, out.cols, B);
  }

  rope(x: Buf, nHeads: number, headDim: number, cs: Float32Array, B: number): void {
    const p = this.ropeTable(B * headDim);
    this.a0.f32.set(cs, p / 4);
    this.a0.k.rope_neox((x as CpuBuf).ptr, p, nHeads, headDim, B);
  }
  private ropePtr = 0; private ropeLen = 0;
  private ropeTable(n: number): number {
    if (n > this.ropeLen) { this.ropePtr = this.a0.alloc(n * 4); this.ropeLen = n; }
    return this.ropePtr;
  }

  attention(cache: KvCache, layer: number, q: Buf, k: Buf, v: Buf, sinks: Tensor, out: Buf, pos0: number, B: number, window: number): void {
    const kv = cache as CpuKv, L = kv.layers[layer];
    const kvw = k.cols, a0 = this.a0.u8, u8 = kv.arena.u8;
    const headDim = kv.headDim, nHeads = q.cols / headDim, nKv = kvw / headDim;
    // this batch's K/V into their ring slots, q and the sinks into the cache's arena (kilobytes)
    const kb = k as CpuBuf, vb = v as CpuBuf, n = B * kvw * 4, store = kv.valueBytes === 2 ? 'kv_store_f16' : 'kv_store_f32';
    u8.set(a0.subarray(kb.ptr, kb.ptr + n), kv.kv);
    u8.set(a0.subarray(vb.ptr, vb.ptr + n), kv.kv + n);
    kv.arena.k[store](kv.kv, L.k, nKv, headDim, pos0, L.cap, B);
    kv.arena.k[store](kv.kv + n, L.v, nKv, headDim, pos0, L.cap, B);
    const qb = q as CpuBuf, ob = out as CpuBuf, st = sinks as CpuTensor;
    u8.set(a0.subarray(qb.ptr, qb.ptr + B * q.cols * 4), kv.q);
    u8.set(a0.subarray(st.ptr, st.ptr + st.rowBytes), kv.sinks);
    this.pool.run(kv.arena.index, kv.valueBytes === 2 ? 'attention_f16kv' : 'attention', [kv.q, L.k, L.v, kv.out, kv.sinks, kv.scratch,
      nHeads, nKv, headDim, pos0, L.cap, window, 1 / Math.sqrt(headDim)], B * nKv, { arg: 5, stride: kv.scratchStride }, 1,
      B * nHeads * headDim * 2 * Math.min(pos0 + B, window || pos0 + B));
    a0.set(u8.subarray(kv.out, kv.out + B * q.cols * 4), ob.ptr);
  }

  /** On the host (a few dozen logits a token); the grouping by expert stays for expertMatmul. */
  route(logits: Buf, ids: Buf, weights: Buf, B: number, K: number): void {
    const r = this.products.ex!.routing, f32 = this.a0.f32, E = logits.cols, lp = (logits as CpuBuf).ptr / 4;
    if (K !== r.k || E !== r.experts) throw new Error(`route: top-${K} of ${E} differs from the loaded top-${r.k} of ${r.experts}`);
    r.route(f32.subarray(lp, lp + B * E), B);
    for (let i = 0; i < B * K; i++) {
      f32[(ids as CpuBuf).ptr / 4 + i] = r.ids[i];
      f32[(weights as CpuBuf).ptr / 4 + i] = r.weights[i];
    }
    this.routed = ids;
  }

  /** Per expert with tokens: its rows gathered, one product (weights read once), scattered to their slots. */
  expertMatmul(w: Tensor, x: Buf, ids: Buf, y: Buf, B: number, bias: Tensor, rows: 'token' | 'slot'): void {
    if (ids !== this.routed) throw new Error('expertMatmul: the ids are not the last route() output');
    this.products.experts(this.experts.get(w)!, x as CpuBuf, y as CpuBuf, (bias as CpuTensor).ptr, w.shape[1], rows);
  }

  swiglu(gateUp: Buf, out: Buf, n: number, alpha: number, limit: number): void {
    this.a0.k.swiglu_oai((gateUp as CpuBuf).ptr, (out as CpuBuf).ptr, out.cols, n, alpha, limit);
  }

  /** Summed in ascending expert order per token (the order the reference sums its experts in). */
  combine(y: Buf, ids: Buf, weights: Buf, out: Buf, B: number, K: number): void {
    const f32 = this.a0.f32, k = this.a0.k, o = out as CpuBuf, yb = y as CpuBuf, H = out.cols;
    const ip = (ids as CpuBuf).ptr / 4, wp = (weights as CpuBuf).ptr / 4;
    const order = this.order.length >= K ? this.order : (this.order = new Int32Array(K));
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < K; j++) {
        let at = j;
        while (at > 0 && f32[ip + b * K + order[at - 1]] > f32[ip + b * K + j]) { order[at] = order[at - 1]; at--; }
        order[at] = j;
      }
      f32.fill(0, o.row(b) / 4, o.row(b) / 4 + H);
      for (let i = 0; i < K; i++) {
        const j = order[i];
        k.axpy(o.row(b), yb.row(b * K + j), f32[wp + b * K + j], H);
      }
    }
  }
  private order = new Int32Array(0);

  add(x: Buf, y: Buf, B: number): void {
    this.a0.k.axpy((x as CpuBuf).ptr, (y as CpuBuf).ptr, 1, B * x.cols);
  }

  argmax(x: Buf, out: Buf, B: number, n: number): void {
    const f32 = this.a0.f32, xb = x as CpuBuf, o = (out as CpuBuf).ptr / 4;
    for (let b = 0; b < B; b++) {
      const r = xb.row(b) / 4;
      f32[o + b] = argmax(f32.subarray(r, r + n));
    }
  }

  // ---- prompt cache ----------------------------------------------------------------------------

  saveKv(cache: KvCache, length: number): KvSnapshot {
    const kv = cache as CpuKv, u8 = kv.arena.u8;
    const runs = [...kvRuns(kv, length)], data = new Uint8Array(runs.reduce((a, [, n]) => a + n, 0));
    let at = 0;
    for (const [ring, n] of runs) { data.set(u8.subarray(ring, ring + n), at); at += n; }
    return new CpuKvSnapshot(length, kv.context, data);
  }

  restoreKv(snapshot: KvSnapshot, cache: KvCache): void {
    const s = snapshot as CpuKvSnapshot, kv = cache as CpuKv, u8 = kv.arena.u8;
    if (s.context !== kv.context) throw new Error(`restoreKv: a snapshot of a ${s.context}-position cache into a ${kv.context}-position one`);
    let at = 0;
    for (const [ring, n] of kvRuns(kv, s.length)) { u8.set(s.data.subarray(at, at + n), ring); at += n; }
  }

  dropKv(): void {}

  // ---- results ---------------------------------------------------------------------------------

  read(x: Buf, B: number, into?: Float32Array): Promise<Float32Array> {
    const p = (x as CpuBuf).ptr / 4, rows = this.a0.f32.subarray(p, p + B * x.cols);
    return Promise.resolve(copyInto(rows, into ?? new Float32Array(rows.length))); // the work is done: settled at once
  }

  view(x: Buf, r0: number, n: number): Buf {
    const b = x as CpuBuf;
    return new CpuBuf(n, b.cols, b.row(r0));
  }

  describe() {
    // arenas: the weight arenas (not the activation arena, not the K/V arenas)
    const weights = this.arenas.filter((a) => a !== this.a0 && !this.kvArenas.includes(a));
    return { name: this.name, arenas: weights.length, weightBytes: weights.reduce((s, a) => s + a.used, 0), threads: this.pool.size, kernels: this.variant.name };
  }

  release(): void {
    this.reader?.close();
    this.pool.close();
  }
}

export function createCpuBackend(opts: EngineOptions): CpuBackend {
  return new CpuBackend(opts);
}
