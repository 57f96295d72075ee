// CPU backend: AssemblyScript kernels in wasm memories (DESIGN.md "CPU backend").
// Arena 0 holds activations, KV caches and f32 vectors; arenas 1… hold the weight matrices in
// their storage format. A product whose weights live elsewhere copies its (kilobyte-sized)
// activations into that arena's scratch, runs there, and copies the result back.
import { FORMATS, rowBytes, type Format } from '../../model/formats.ts';
import type { Checkpoint, ModelConfig } from '../../model/types.ts';
import { kvValueBytes, slidingCapacity, type Backend, type BackendOptions, type Buf, type KvCache, type MoeWeights, type Tensor } from '../../engine/backend.ts';
import { Arena, MAX_ARENA_BYTES } from './arena.ts';
import { MATMUL, actRowBytes, batchedScratch } from './kernels.ts';
import { cpuLayout, isVector, planArenas } from './placement.ts';
import { mxfp4R4Scratch } from './repack.ts';
import { requantizeQ8 } from './requant.ts';
import { Routing } from './route.ts';
import { Pool } from './pool.ts';

class CpuTensor implements Tensor {
  constructor(readonly name: string, readonly shape: readonly number[], readonly format: Format | 'f32vec',
    readonly arena: Arena, readonly ptr: number, readonly rowBytes: number) {}
  get rows(): number { return this.shape.length === 1 ? 1 : this.shape[this.shape.length - 2]; }
  get cols(): number { return this.shape[this.shape.length - 1]; }
  /** Matrix `e` of a stacked [E, rows, cols] tensor, as its own tensor (no copy). */
  slice(e: number): CpuTensor {
    const rows = this.shape[1], cols = this.shape[2];
    return new CpuTensor(`${this.name}[${e}]`, [rows, cols], this.format, this.arena, this.ptr + e * rows * this.rowBytes, this.rowBytes);
  }
}

class CpuBuf implements Buf {
  constructor(readonly rows: number, readonly cols: number, readonly ptr: number) {}
  row(r: number): number { return this.ptr + r * this.cols * 4; }
}

interface LayerCache { k: number; v: number; cap: number }
/** A session's K/V rings, in a K/V arena of their own, with staging for q, out and the sinks. */
class CpuKv implements KvCache {
  readonly scratchStride: number;
  constructor(readonly context: number, readonly headDim: number, readonly arena: Arena, readonly layers: LayerCache[],
    readonly scratch: number, readonly q: number, readonly out: number, readonly sinks: number,
    /** bytes per value: 4 = f32, 2 = f16 (then k/v rows stage at `kv` before conversion) */
    readonly valueBytes: number, readonly kv: number, c: ModelConfig) {
    this.scratchStride = attnScratch(c, context);
  }
}

/** Per-thread attention scratch (assembly/attention.ts): a group's scores over the context + one row. */
function attnScratch(c: ModelConfig, context: number): number {
  return Math.ceil(((c.numHeads / c.numKvHeads) * context + c.headDim) * 4 / 64) * 64;
}

/**
 * K/V arenas: caches live outside the activation arena so their total is not capped by one 4 GiB
 * memory (32k positions of 20b's f32 K/V take 1.6 GB per session). Reserved at load (workers
 * instantiate every memory once), grown as sessions are created.
 */
const KV_ARENAS = 3;

/** Tokens per pass through a weight arena (the batched kernels' accumulators hold this many). */
const PASS_ROWS = 128;
/** …and for the V-row unembedding, whose outputs are large. */
const UNEMBED_PASS_ROWS = 16;

export class CpuBackend implements Backend {
  readonly name = 'cpu';
  private readonly a0: Arena;
  private arenas: Arena[] = [];
  private kvArenas: Arena[] = [];
  private scratch = new Map<Arena, { io: number; ioBytes: number; batch: number; batchStride: number }>();
  private q8: CpuBuf | null = null; //       arena-0 buffer for quantised activations
  private experts = new Map<Tensor, CpuTensor[]>();
  private moeScratch: { logits: CpuBuf; xe: CpuBuf; ue: CpuBuf; ae: CpuBuf; oe: CpuBuf; routing: Routing } | null = null;
  private readonly pool: Pool;
  private rowTmp = new Float32Array(0);

  constructor(private readonly opts: BackendOptions) {
    this.a0 = new Arena(0, 1 << 20);
    this.pool = new Pool(opts.threads ?? 1);
  }

  async upload(ckpt: Checkpoint): Promise<Map<string, Tensor>> {
    const { maxBatch } = this.opts;
    const records = [...ckpt.tensors.values()];
    let maxIn = 0;
    for (const r of records) if (!isVector(r)) maxIn = Math.max(maxIn, r.shape[r.shape.length - 1]);
    // Per weight arena: an io area (activations in, products out; rows per pass fit it) that also
    // serves as the MXFP4 repack scratch, and per-thread scratch for the batched kernels.
    const passRows = Math.min(maxBatch, PASS_ROWS);
    let io = 0;
    for (const r of records) {
      if (isVector(r)) continue;
      const rows = r.shape[r.shape.length - 2], cols = r.shape[r.shape.length - 1];
      const want = r.name === 'unembed' ? Math.min(passRows, UNEMBED_PASS_ROWS) : passRows;
      io = Math.max(io, want * (cols + rows) * 4 + 64);
      if (cpuLayout(r, this.opts).r4) io = Math.max(io, mxfp4R4Scratch(rows, cols));
    }
    const batchStride = Math.ceil(batchedScratch(maxIn, passRows) / 64) * 64;
    const perArena = io + batchStride * this.pool.size + 256;
    const arenaBytes = Math.min(this.opts.arenaBytes ?? MAX_ARENA_BYTES, MAX_ARENA_BYTES);
    const { where, sizes } = planArenas(records, arenaBytes - 65536 - perArena, this.opts);
    // Weight arenas never grow: their maximum is their size (less address space reserved).
    const weightArenas = sizes.map((s, i) => new Arena(i + 1, s + perArena, s + perArena + 65536));
    for (const a of weightArenas) this.scratch.set(a, { io: a.alloc(io), ioBytes: io, batch: a.alloc(batchStride * this.pool.size), batchStride });
    this.kvArenas = Array.from({ length: KV_ARENAS }, (_, i) => new Arena(1 + weightArenas.length + i, 0));
    this.arenas = [this.a0, ...weightArenas, ...this.kvArenas];
    await this.pool.attach(this.arenas);
    this.q8 = this.buffer(maxBatch, Math.ceil(actRowBytes('q8', maxIn) / 4));
    this.rowTmp = new Float32Array(maxIn);

    const out = new Map<string, Tensor>();
    const total = ckpt.totalBytes;
    let done = 0, count = 0;
    let sinceYield = 0;
    for (const rec of records) {
      // Hand the event loop a turn every ~64 MB so a server answers /health (503 + progress) while loading.
      if ((sinceYield += rec.byteSize) > 64 << 20) { sinceYield = 0; await new Promise((r) => setTimeout(r, 0)); }
      const report = (n: number) => { done += n; this.opts.progress?.({ bytes: done, totalBytes: total, tensors: count, totalTensors: records.length, name: rec.name }); };
      if (isVector(rec)) {
        // Small: decode to f32 once (exact for every format), keep beside the activations.
        const raw = new Uint8Array(rec.byteSize);
        rec.fill(raw, report);
        const n = rec.shape.reduce((a, b) => a * b, 1);
        const ptr = this.a0.alloc(n * 4);
        FORMATS[rec.format].dequant(raw, this.a0.f32.subarray(ptr / 4, ptr / 4 + n), n);
        out.set(rec.name, new CpuTensor(rec.name, rec.shape, 'f32vec', this.a0, ptr, n * 4));
      } else {
        const arena = this.arenas[where.get(rec.name)!];
        const cols = rec.shape[rec.shape.length - 1], rows = rec.shape[rec.shape.length - 2];
        const lay = cpuLayout(rec, this.opts);
        if (lay.r4 && rec.shape.length === 3 && rows % 4) throw new Error(`${rec.name}: stacked MXFP4 matrices need rows divisible by 4, got ${rows}`);
        const ptr = arena.alloc(lay.bytes);
        if (lay.requant) requantizeQ8(rec, arena.u8, ptr, report);
        else rec.fill(arena.u8.subarray(ptr, ptr + rec.byteSize), report);
        if (lay.r4) {
          const tmp = this.scratch.get(arena)!.io;
          for (let e = 0, n = rec.shape.length === 3 ? rec.shape[0] : 1; e < n; e++) arena.k.repack_mxfp4_r4(ptr + e * rows * rowBytes('mxfp4', cols), rows, cols, tmp);
        }
        const t = new CpuTensor(rec.name, rec.shape, lay.format, arena, ptr, rowBytes(lay.format, cols));
        out.set(rec.name, t);
        if (rec.shape.length === 3) this.experts.set(t, Array.from({ length: rec.shape[0] }, (_, e) => t.slice(e)));
      }
      count++;
    }
    return out;
  }

  buffer(rows: number, cols: number): CpuBuf {
    return new CpuBuf(rows, cols, this.a0.alloc(rows * cols * 4));
  }

  kvCache(c: ModelConfig, context: number): CpuKv {
    const kvw = c.numKvHeads * c.headDim, qw = c.numHeads * c.headDim, B = this.opts.maxBatch;
    const caps = c.layerTypes.map((t) => (t === 'sliding_attention' ? slidingCapacity(c.slidingWindow, context, B) : context));
    const e = kvValueBytes(this.opts.precision);
    // in allocation order: K and V rings per layer, attention scratch, q and out staging, sinks,
    // and (f16 caches) the f32 K/V rows waiting for conversion
    const sizes = [...caps.flatMap((cap) => [cap * kvw * e, cap * kvw * e]), this.pool.size * attnScratch(c, context),
      B * qw * 4, B * qw * 4, c.numHeads * 4, e === 2 ? 2 * B * kvw * 4 : 0];
    const need = sizes.reduce((n, b) => n + Math.ceil(b / 64) * 64, 0);
    const arena = this.kvArenas.find((a) => a.used + need <= a.maxBytes);
    if (!arena) {
      throw new RangeError(`a K/V cache of ${(need / 2 ** 30).toFixed(2)} GiB for ${context} positions does not fit the remaining K/V memory (${KV_ARENAS} × 4 GiB): lower the context or the number of sessions`);
    }
    const [ptrs, [scr, q, out, sinks, rows]] = [sizes.slice(0, -5), sizes.slice(-5)].map((part) => part.map((b) => arena.alloc(b)));
    const layers = caps.map((cap, l) => ({ k: ptrs[2 * l], v: ptrs[2 * l + 1], cap }));
    return new CpuKv(context, c.headDim, arena, layers, scr, q, out, sinks, e, rows, c);
  }

  embed(table: Tensor, ids: ArrayLike<number>, B: number, out: Buf): void {
    const t = table as CpuTensor, o = out as CpuBuf;
    const cols = t.cols, tmp = this.rowTmp.subarray(0, cols);
    for (let b = 0; b < B; b++) {
      const id = ids[b];
      if (!(id >= 0 && id < t.rows)) throw new RangeError(`token id ${id} outside the vocabulary (0..${t.rows - 1})`);
      FORMATS[t.format as Format].dequant(t.arena.u8.subarray(t.ptr + id * t.rowBytes, t.ptr + (id + 1) * t.rowBytes), tmp, cols);
      this.a0.f32.set(tmp, o.row(b) / 4);
    }
  }

  rmsnorm(x: Buf, w: Tensor, out: Buf, B: number, eps: number): void {
    this.a0.k.rmsnorm((x as CpuBuf).ptr, (w as CpuTensor).ptr, (out as CpuBuf).ptr, x.cols, B, eps);
  }

  matmul(w: Tensor, x: Buf, out: Buf, B: number, bias?: Tensor): void {
    this.matmulAt(w as CpuTensor, (x as CpuBuf).ptr, (out as CpuBuf).ptr, B);
    if (bias) this.a0.k.add_bias((out as CpuBuf).ptr, (bias as CpuTensor).ptr, out.cols, B);
  }

  /** y[B][rows] = x[B][cols] · Wᵀ with x, y in arena 0. */
  private matmulAt(w: CpuTensor, x: number, y: number, B: number): void {
    const kern = MATMUL[w.format as Format][this.opts.precision];
    const nIn = w.cols, nOut = w.rows;
    let src = x;
    if (kern.act === 'q8') { this.a0.k.quantize_q8(x, this.q8!.ptr, nIn, B); src = this.q8!.ptr; }
    const inRow = actRowBytes(kern.act, nIn);
    const s = this.scratch.get(w.arena)!;
    const a0u8 = this.a0.u8, u8 = w.arena.u8;
    const pass = Math.max(1, Math.min(PASS_ROWS, Math.floor((s.ioBytes - 64) / (inRow + nOut * 4))));
    const xs = s.io, ys = s.io + Math.ceil((pass * inRow) / 64) * 64;
    for (let b0 = 0; b0 < B; b0 += pass) {
      const n = Math.min(pass, B - b0);
      u8.set(a0u8.subarray(src + b0 * inRow, src + (b0 + n) * inRow), xs);
      if (kern.batched && n >= 2) this.pool.run(w.arena.index, kern.batched, [w.ptr, xs, ys, nIn, nOut, n, s.batch], nOut, { arg: 6, stride: s.batchStride }, 4, nIn * nOut * n);
      else this.pool.run(w.arena.index, kern.name, [w.ptr, xs, ys, nIn, nOut, n], nOut, undefined, 4, nIn * nOut * n);
      a0u8.set(u8.subarray(ys, ys + n * nOut * 4), y + b0 * nOut * 4);
    }
  }

  rope(x: Buf, nHeads: number, headDim: number, cs: Float32Array, B: number): void {
    const p = this.ropeTable(B * headDim);
    this.a0.f32.set(cs.subarray(0, B * headDim), p / 4);
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
    if (pos0 + B > kv.context) throw new RangeError(`position ${pos0 + B} exceeds the context of ${kv.context}`);
    // this batch's K/V into their ring slots, q and the sinks into the cache's arena (kilobytes)
    if (kv.valueBytes === 2) {
      const kb = k as CpuBuf, vb = v as CpuBuf, n = B * kvw * 4;
      u8.set(a0.subarray(kb.ptr, kb.ptr + n), kv.kv);
      u8.set(a0.subarray(vb.ptr, vb.ptr + n), kv.kv + n);
      kv.arena.k.kv_store_f16(kv.kv, L.k, kvw, pos0, L.cap, B);
      kv.arena.k.kv_store_f16(kv.kv + n, L.v, kvw, pos0, L.cap, B);
    } else {
      for (let b = 0; b < B; b++) {
        const slot = (pos0 + b) % L.cap, kr = (k as CpuBuf).row(b), vr = (v as CpuBuf).row(b);
        u8.set(a0.subarray(kr, kr + kvw * 4), L.k + slot * kvw * 4);
        u8.set(a0.subarray(vr, vr + kvw * 4), L.v + slot * kvw * 4);
      }
    }
    const qb = q as CpuBuf, ob = out as CpuBuf, st = sinks as CpuTensor;
    u8.set(a0.subarray(qb.ptr, qb.ptr + B * q.cols * 4), kv.q);
    u8.set(a0.subarray(st.ptr, st.ptr + st.rowBytes), kv.sinks);
    const headDim = kv.headDim, nHeads = q.cols / headDim, nKv = kvw / headDim;
    this.pool.run(kv.arena.index, kv.valueBytes === 2 ? 'attention_f16kv' : 'attention', [kv.q, L.k, L.v, kv.out, kv.sinks, kv.scratch,
      nHeads, nKv, headDim, pos0, L.cap, window, 1 / Math.sqrt(headDim)], B * nKv, { arg: 5, stride: kv.scratchStride }, 1,
      B * nHeads * headDim * 2 * Math.min(pos0 + B, window || pos0 + B));
    a0.set(u8.subarray(kv.out, kv.out + B * q.cols * 4), ob.ptr);
  }

  moe(x: Buf, w: MoeWeights, out: Buf, B: number, c: ModelConfig): void {
    const E = c.numExperts, K = c.expertsPerToken, H = c.hiddenSize, I = c.intermediateSize;
    const s = this.moeScratch ??= {
      logits: this.buffer(this.opts.maxBatch, E), xe: this.buffer(this.opts.maxBatch, H), ue: this.buffer(this.opts.maxBatch, 2 * I),
      ae: this.buffer(this.opts.maxBatch, I), oe: this.buffer(this.opts.maxBatch, H), routing: new Routing(E, K, this.opts.maxBatch),
    };
    this.matmul(w.router, x, s.logits, B, w.routerBias);
    const f32 = this.a0.f32, r = s.routing;
    r.route(f32.subarray(s.logits.ptr / 4, s.logits.ptr / 4 + B * E), B);
    const o = out as CpuBuf, xb = x as CpuBuf;
    f32.fill(0, o.ptr / 4, o.ptr / 4 + B * H);
    const gateUp = this.experts.get(w.gateUp)!, down = this.experts.get(w.down)!;
    const gub = (w.gateUpBias as CpuTensor).ptr, db = (w.downBias as CpuTensor).ptr;
    const k = this.a0.k;
    for (let e = 0; e < E; e++) {
      const n = r.counts[e];
      if (n === 0) continue;
      const base = e * this.opts.maxBatch;
      for (let i = 0; i < n; i++) { const row = xb.row(r.toks[base + i]) / 4; f32.copyWithin(s.xe.row(i) / 4, row, row + H); }
      this.matmulAt(gateUp[e], s.xe.ptr, s.ue.ptr, n);
      k.add_bias(s.ue.ptr, gub + e * 2 * I * 4, 2 * I, n);
      k.swiglu_oai(s.ue.ptr, s.ae.ptr, I, n, c.swigluAlpha, c.swigluLimit);
      this.matmulAt(down[e], s.ae.ptr, s.oe.ptr, n);
      k.add_bias(s.oe.ptr, db + e * H * 4, H, n);
      for (let i = 0; i < n; i++) k.axpy(o.row(r.toks[base + i]), s.oe.row(i), r.wts[base + i], H);
    }
  }

  add(x: Buf, y: Buf, B: number): void {
    this.a0.k.axpy((x as CpuBuf).ptr, (y as CpuBuf).ptr, 1, B * x.cols);
  }

  read(x: Buf, B: number): Promise<Float32Array> {
    const p = (x as CpuBuf).ptr / 4;
    return Promise.resolve(this.a0.f32.slice(p, p + B * x.cols)); // the work is done: settled at once
  }

  /** Rows [r0, r0+n) of a buffer as a buffer (no copy). */
  view(x: Buf, r0: number, n: number): Buf {
    const b = x as CpuBuf;
    return new CpuBuf(n, b.cols, b.row(r0));
  }

  describe() {
    // arenas: the weight arenas (not the activation arena, not the K/V arenas)
    const weights = this.arenas.filter((a) => a !== this.a0 && !this.kvArenas.includes(a));
    return { name: this.name, arenas: weights.length, weightBytes: weights.reduce((s, a) => s + a.used, 0), threads: this.pool.size };
  }

  release(): void { this.pool.close(); }
}

export function createCpuBackend(opts: BackendOptions): CpuBackend {
  return new CpuBackend(opts);
}
