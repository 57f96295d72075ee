// WebGPU backend: WGSL kernels over GPU buffers (DESIGN.md "WebGPU backend"), same Backend
// interface as the CPU path, so forward.ts is shared.
//   weights   matrices: repacked per format (layout.ts) into parts ≤ the adapter's binding limit,
//             on the GPU from staged file bytes (weight-upload.ts); vectors (norms, biases,
//             sinks): f32 in a few "vec" buffers
//   act       one storage buffer holding every activation Buf (kernels take element offsets, so
//             views are free and one binding serves every operand)
//   K/V       per layer ring buffers (f32; f16 in the fast tier)
// Every operation but read() only records dispatches (recorder.ts); read() submits and maps.
import { availableParallelism } from 'node:os';
import type { Checkpoint, ModelConfig, WeightRecord } from '../../model/types.ts';
import { copyInto, slidingCapacity, type Backend, type Buf, type KvCache, type KvSnapshot, type Tensor } from '../backend.ts';
import type { EngineOptions } from '../options.ts';
import { isSoftware, type AdapterInfo, type DeviceFeatures } from './device.ts';
import {
  addSpec, argmaxSpec, attentionSpec, combineSpec, embedSpec, kvStoreSpec, MATMUL_TOKENS, matmulRowsPerGroup, matmulSpec, rmsnormSpec,
  ropeSpec, routeSpec, swigluSpec, type KvType, type Lanes,
} from './kernels.ts';
import { Recorder } from './recorder.ts';
import type { RepackOn } from './tuning.ts';
import { Prefetcher } from './prefetch.ts';
import { MatrixUploader, type Part } from './weight-upload.ts';
import { GpuBuf, GpuKv, GpuKvSnapshot, GpuMatrix, GpuVector, matrix, vector } from './tensors.ts';

/** The route kernel's selections and per-expert slot lists, read by the expert products. */
interface MoeScratch { route: GPUBuffer; K: number; E: number; routed: GpuBuf | null }

const VEC_BUFFER_BYTES = 64 << 20;

export interface WebGpuOptions extends EngineOptions {
  device: GPUDevice;
  features: DeviceFeatures;
  adapter: AdapterInfo;
  /** Lanes per weight row (default: 1 on a software adapter, 16 on a GPU). */
  lanes?: Lanes;
  /** Where weights are repacked at load (default gpu; tuning.ts). */
  repack?: RepackOn;
  /** Bytes per staging copy at load (default: weight-upload.ts). */
  stagingBytes?: number;
  /**
   * Read matrices ahead on reader threads (prefetch.ts). Default: with 4 cores or more — readers
   * need cores of their own (on a 2-core VM they slowed lavapipe's upload, 150 → 109 MB/s).
   */
  prefetch?: boolean;
  /** Called by release() (the device's owner destroys it there). */
  onRelease?: () => void;
}

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu';
  readonly rec: Recorder;
  private readonly device: GPUDevice;
  private actWords = 0;
  private actBuf: GPUBuffer | null = null;
  private retired: GPUBuffer[] = [];
  private readonly owned: GPUBuffer[] = [];
  private readonly dummy: GPUBuffer;
  private weightBytes = 0;
  private moeScratch: MoeScratch | null = null;
  private csAt = -1; private csSubmit = -1; private csLen = 0;
  /** Lanes per weight row in the matmul kernels (kernels.ts Lanes). */
  readonly lanes: Lanes;

  constructor(private readonly opts: WebGpuOptions) {
    this.device = opts.device;
    this.rec = new Recorder(this.device, Boolean(opts.features.timestamps));
    this.dummy = this.gpuBuffer('webgpu.dummy', 16, GPUBufferUsage.STORAGE);
    this.lanes = opts.lanes ?? (isSoftware(opts.adapter) ? 1 : 16);
  }

  private gpuBuffer(label: string, size: number, usage: number, mapped = false): GPUBuffer {
    const b = this.device.createBuffer({ label, size: Math.ceil(size / 16) * 16, usage, mappedAtCreation: mapped });
    this.owned.push(b);
    return b;
  }

  private get limits(): GPUSupportedLimits { return this.device.limits; }

  // ---- load ------------------------------------------------------------------------------------

  private partCap = 0;
  private readonly vectors: GpuVector[] = [];
  private uploader: MatrixUploader | null = null;
  private uploaded: MatrixUploader['stats'] | null = null;

  async prepare(ckpt: Checkpoint): Promise<void> {
    this.partCap = Math.min(this.limits.maxStorageBufferBindingSize, this.limits.maxBufferSize, this.opts.arenaBytes);
    this.uploader = new MatrixUploader(this.device, this.rec,
      (label, bytes, mapped) => this.gpuBuffer(label, bytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC, mapped), {
        partCap: this.partCap, maxRows: this.limits.maxComputeWorkgroupsPerDimension * (64 / this.lanes),
        repack: this.opts.repack ?? 'gpu', denseQ8: this.opts.denseQ8, stagingBytes: this.opts.stagingBytes,
      }, this.opts.prefetch ?? availableParallelism() >= 4 ? Prefetcher.open(ckpt, this.opts.denseQ8) : null);
    const c = ckpt.config, B = this.opts.maxBatch, K = c.expertsPerToken, E = c.numExperts;
    this.moeScratch = { route: this.gpuBuffer('webgpu.moe.route', (B * K + E + E * B) * 4, GPUBufferUsage.STORAGE), K, E, routed: null };
  }

  /** Returns once the bytes are staged; the GPU places them while the next tensor is read (weight-upload.ts). */
  async matrix(rec: WeightRecord, progress: (bytes: number) => void): Promise<Tensor> {
    const m = await this.uploader!.place(rec, progress);
    for (const p of m.parts) this.weightBytes += p.buf.size;
    return new GpuMatrix(rec.name, rec.shape, m.format, m.layout, m.parts);
  }

  vector(name: string, shape: readonly number[], data: Float32Array): Tensor {
    const v = new GpuVector(name, shape, data);
    this.vectors.push(v);
    return v;
  }

  async finish(): Promise<void> {
    this.uploadVectors(this.vectors.splice(0), Math.min(this.partCap, VEC_BUFFER_BYTES));
    await this.uploader?.finish();
    this.uploaded = this.uploader?.stats ?? null;
    this.uploader = null;
  }

  /** Norms, biases and sinks packed as f32 into a few buffers (vec bindings of the kernels). */
  private uploadVectors(vectors: GpuVector[], cap: number): void {
    let i = 0;
    while (i < vectors.length) {
      let words = 0, j = i;
      while (j < vectors.length && (j === i || (words + vectors[j].data.length) * 4 <= cap)) words += vectors[j++].data.length;
      if (words * 4 > cap) throw new Error(`${vectors[i].name}: ${words * 4} bytes exceed one GPU buffer binding (${cap})`);
      const buf = this.gpuBuffer(`webgpu.vectors.${i}`, words * 4, GPUBufferUsage.STORAGE, true);
      const f32 = new Float32Array(buf.getMappedRange());
      let at = 0;
      for (; i < j; i++) {
        const v = vectors[i];
        f32.set(v.data, at);
        v.buf = buf; v.off = at;
        at += v.data.length;
      }
      buf.unmap();
      this.weightBytes += buf.size;
    }
  }

  buffer(rows: number, cols: number): GpuBuf {
    const off = Math.ceil(this.actWords / 64) * 64;
    this.actWords = off + rows * cols;
    if (this.actWords * 4 > this.limits.maxStorageBufferBindingSize) {
      throw new Error(`activations need ${this.actWords * 4} bytes, more than one GPU buffer binding allows (${this.limits.maxStorageBufferBindingSize}); lower --batch`);
    }
    return new GpuBuf(rows, cols, off);
  }

  /** The activation buffer, (re)created when buffers were added since it was last made. */
  private act(): GPUBuffer {
    const bytes = Math.max(16, Math.ceil(this.actWords / 4) * 16);
    if (this.actBuf && this.actBuf.size >= bytes) return this.actBuf;
    const b = this.gpuBuffer('webgpu.act', bytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
    if (this.actBuf) {
      this.rec.copy(this.actBuf, 0, b, 0, this.actBuf.size);
      this.retired.push(this.actBuf);
    }
    this.actBuf = b;
    this.rec.dropBindGroups();
    return b;
  }

  kvCache(c: ModelConfig, context: number): GpuKv {
    const kvw = c.numKvHeads * c.headDim;
    const type: KvType = this.opts.precision === 'fast' ? (this.opts.features.f16 ? 'f16' : 'f16packed') : 'f32';
    const el = type === 'f32' ? 4 : 2;
    const layers = c.layerTypes.map((t, l) => {
      const cap = t === 'sliding_attention' ? slidingCapacity(c.slidingWindow, context, this.opts.maxBatch) : context;
      const bytes = cap * kvw * el;
      if (bytes > this.limits.maxStorageBufferBindingSize) {
        throw new Error(`layer ${l}: a K/V cache of ${context} positions needs ${bytes} bytes, more than one GPU buffer binding allows (${this.limits.maxStorageBufferBindingSize}); use a shorter context${type === 'f32' ? ' or --precision fast (f16 K/V)' : ''}`);
      }
      return {
        k: this.gpuBuffer(`webgpu.kv.${l}.k`, bytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST),
        v: this.gpuBuffer(`webgpu.kv.${l}.v`, bytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST), cap,
      };
    });
    return new GpuKv(context, kvw, c.headDim, type, layers);
  }

  // ---- prompt cache ----------------------------------------------------------------------------

  saveKv(cache: KvCache, length: number): KvSnapshot {
    const kv = cache as GpuKv, rows = kv.layers.map((L) => Math.ceil(Math.min(length, L.cap) * kv.rowBytes / 4) * 4);
    const buf = this.device.createBuffer({ label: 'webgpu.kv.snapshot', size: Math.max(16, 2 * rows.reduce((a, b) => a + b, 0)), usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    let at = 0;
    kv.layers.forEach((L, l) => {
      if (!rows[l]) return;
      this.rec.copy(L.k, 0, buf, at, rows[l]); at += rows[l];
      this.rec.copy(L.v, 0, buf, at, rows[l]); at += rows[l];
    });
    return new GpuKvSnapshot(length, kv.context, buf);
  }

  restoreKv(snapshot: KvSnapshot, cache: KvCache): void {
    const s = snapshot as GpuKvSnapshot, kv = cache as GpuKv;
    if (s.context !== kv.context) throw new Error(`restoreKv: a snapshot of a ${s.context}-position cache into a ${kv.context}-position one`);
    let at = 0;
    for (const L of kv.layers) {
      const n = Math.ceil(Math.min(s.length, L.cap) * kv.rowBytes / 4) * 4;
      if (!n) continue;
      this.rec.copy(s.buf, at, L.k, 0, n); at += n;
      this.rec.copy(s.buf, at, L.v, 0, n); at += n;
    }
  }

  /** After the copies that read it have run (buffers are destroyed once the queue is done with them). */
  dropKv(snapshot: KvSnapshot): void {
    this.retired.push((snapshot as GpuKvSnapshot).buf);
  }

  // ---- operations ------------------------------------------------------------------------------

  embed(table: Tensor, ids: Int32Array, B: number, out: Buf): void {
    const t = matrix(table, 'embed'), o = out as GpuBuf;
    const parts = t.parts.filter((p) => ids.subarray(0, B).some((id) => id >= p.row0 && id < p.row0 + p.rows));
    const k = this.rec.kernel(embedSpec(t.format));
    const act = this.act();
    this.rec.reserve(parts.length, B);
    const idsOff = this.rec.push(Array.from(ids.subarray(0, B)));
    for (const p of parts) {
      this.rec.dispatch(k, [p.buf, act, this.rec.data], {
        ...this.weightParams(t, p), row0: p.row0, idsOff, yOff: o.off, yStride: o.cols,
      }, B);
    }
  }

  private weightParams(t: GpuMatrix, p: Part) {
    return { rows: p.rows, cols: t.cols, nb: t.layout.nb, qv: t.layout.qWords / 4, sOff: p.sOff, sw: t.layout.sWords };
  }

  rmsnorm(x: Buf, w: Tensor, out: Buf, B: number, eps: number): void {
    const X = x as GpuBuf, O = out as GpuBuf, W = vector(w, 'rmsnorm');
    const act = this.act();
    this.rec.reserve(1);
    this.rec.dispatch(this.rec.kernel(rmsnormSpec()), [act, W.buf], { n: X.cols, xOff: X.off, yOff: O.off, wOff: W.off, eps }, B);
  }

  matmul(w: Tensor, x: Buf, out: Buf, B: number, bias: Tensor | null): void {
    const W = matrix(w, 'matmul'), X = x as GpuBuf, O = out as GpuBuf, bv = bias ? vector(bias, 'matmul bias') : null;
    if (W.shape.length !== 2) throw new Error(`matmul: ${W.name} is a stack of matrices`);
    if (X.cols !== W.cols || O.cols < W.rows || B > X.rows || B > O.rows) {
      throw new Error(`matmul ${W.name} [${W.shape}]: operands [${X.rows}, ${X.cols}] → [${O.rows}, ${O.cols}] for ${B} rows do not fit`);
    }
    const k = this.rec.kernel(matmulSpec(W.format, 'plain', B > 1 ? MATMUL_TOKENS : 1, this.lanes, W.cols % 32 !== 0));
    const act = this.act(), rpg = matmulRowsPerGroup(k.spec);
    this.rec.reserve(W.parts.length);
    for (const p of W.parts) {
      this.rec.dispatch(k, [p.buf, act, bv?.buf ?? this.dummy, this.dummy], {
        ...this.weightParams(W, p), nTok: B, xOff: X.off, xStride: X.cols, yOff: O.off + p.row0, yStride: O.cols,
        bias: bv ? 1 : 0, biasOff: bv ? bv.off + p.row0 : 0,
      }, Math.ceil(p.rows / rpg));
    }
  }

  rope(x: Buf, nHeads: number, headDim: number, cs: Float32Array, B: number): void {
    const X = x as GpuBuf, n = B * headDim;
    const act = this.act();
    this.rec.reserve(1, n);
    // q and k of one forward share the table: push it once per submission.
    const same = this.csSubmit === this.rec.submits && this.csLen === n && this.csAt + n <= this.rec.dataUsed &&
      equalWords(this.rec.pushed(this.csAt, n), cs, n);
    if (!same) {
      this.csAt = this.rec.push(cs.subarray(0, n));
      this.csSubmit = this.rec.submits; this.csLen = n;
    }
    this.rec.dispatchThreads(this.rec.kernel(ropeSpec()), [act, this.rec.data],
      { B, nh: nHeads, hd: headDim, xOff: X.off, xStride: X.cols, csOff: this.csAt }, B * nHeads * headDim / 2);
  }

  attention(cache: KvCache, layer: number, q: Buf, k: Buf, v: Buf, sinks: Tensor, out: Buf, pos0: number, B: number, window: number): void {
    const kv = cache as GpuKv, L = kv.layers[layer], Q = q as GpuBuf, K = k as GpuBuf, V = v as GpuBuf, O = out as GpuBuf;
    const S = vector(sinks, 'attention sinks');
    const hd = kv.headDim, nq = Q.cols / hd, nkv = kv.kvw / hd;
    const act = this.act();
    this.rec.reserve(2);
    this.rec.dispatchThreads(this.rec.kernel(kvStoreSpec(kv.type)), [act, L.k, L.v], {
      B, kvw: kv.kvw, pos0, cap: L.cap, kOff: K.off, kStride: K.cols, vOff: V.off, vStride: V.cols,
    }, B * kv.kvw / 2);
    this.rec.dispatch(this.rec.kernel(attentionSpec(kv.type, hd)), [act, S.buf, L.k, L.v], {
      nq, nkv, kvw: kv.kvw, pos0, cap: L.cap, window, qOff: Q.off, qStride: Q.cols, oOff: O.off, oStride: O.cols,
      sinkOff: S.off, scale: 1 / Math.sqrt(hd),
    }, nq, B);
  }

  route(logits: Buf, ids: Buf, weights: Buf, B: number, K: number): void {
    const s = this.moeScratch!, L = logits as GpuBuf, E = L.cols, maxB = this.opts.maxBatch;
    if (K !== s.K || E !== s.E) throw new Error(`route: top-${K} of ${E} differs from the loaded top-${s.K} of ${s.E}`);
    const act = this.act();
    this.rec.reserve(1);
    this.rec.dispatch(this.rec.kernel(routeSpec(K)), [act, s.route], {
      B, E, xOff: L.off, maxB, selOff: 0, ...this.lists(), idsOff: (ids as GpuBuf).off, wtsOff: (weights as GpuBuf).off,
    }, 1);
    s.routed = ids as GpuBuf;
  }

  /** Where the route buffer keeps its per-expert slot counts and lists (after the selections). */
  private lists() {
    const s = this.moeScratch!, maxB = this.opts.maxBatch;
    return { cOff: maxB * s.K, lOff: maxB * s.K + s.E };
  }

  expertMatmul(w: Tensor, x: Buf, ids: Buf, y: Buf, B: number, bias: Tensor, rows: 'token' | 'slot'): void {
    const s = this.moeScratch!, m = matrix(w, 'expertMatmul'), X = x as GpuBuf, Y = y as GpuBuf, bv = vector(bias, 'expertMatmul bias');
    if (ids !== s.routed) throw new Error('expertMatmul: the ids are not the last route() output');
    const act = this.act();
    const k = this.rec.kernel(matmulSpec(m.format, rows === 'token' ? 'expert_token' : 'expert_slot', B > 1 ? MATMUL_TOKENS : 1, this.lanes, m.cols % 32 !== 0));
    const rpg = matmulRowsPerGroup(k.spec);
    this.rec.reserve(m.parts.length);
    for (const p of m.parts) {
      this.rec.dispatch(k, [p.buf, act, bv.buf, s.route], {
        ...this.weightParams(m, p), rows: m.rows, xOff: X.off, xStride: X.cols, yOff: Y.off, yStride: Y.cols,
        bias: 1, biasOff: bv.off, e0: p.row0 / m.rows, K: s.K, maxB: this.opts.maxBatch, ...this.lists(),
      }, Math.ceil(m.rows / rpg), p.rows / m.rows);
    }
  }

  swiglu(gateUp: Buf, out: Buf, n: number, alpha: number, limit: number): void {
    const X = gateUp as GpuBuf, Y = out as GpuBuf, act = this.act();
    this.rec.reserve(1);
    this.rec.dispatchThreads(this.rec.kernel(swigluSpec()), [act],
      { n, I: Y.cols, xOff: X.off, xStride: X.cols, yOff: Y.off, yStride: Y.cols, alpha, limit }, n * Y.cols);
  }

  combine(y: Buf, ids: Buf, weights: Buf, out: Buf, B: number, K: number): void {
    const Y = y as GpuBuf, W = weights as GpuBuf, O = out as GpuBuf, act = this.act();
    this.rec.reserve(1);
    this.rec.dispatchThreads(this.rec.kernel(combineSpec(K)), [act],
      { B, H: O.cols, wOff: W.off, oeOff: Y.off, oeStride: Y.cols, yOff: O.off, yStride: O.cols }, B * O.cols);
  }

  add(x: Buf, y: Buf, B: number): void {
    const X = x as GpuBuf, Y = y as GpuBuf, act = this.act();
    this.rec.reserve(1);
    this.rec.dispatchThreads(this.rec.kernel(addSpec()), [act], { n: B * X.cols, xOff: X.off, yOff: Y.off }, B * X.cols);
  }

  argmax(x: Buf, out: Buf, B: number, n: number): void {
    const X = x as GpuBuf, O = out as GpuBuf, act = this.act();
    this.rec.reserve(1);
    this.rec.dispatch(this.rec.kernel(argmaxSpec()), [act], { n, xOff: X.off, xStride: X.cols, yOff: O.off }, B);
  }

  view(x: Buf, r0: number, n: number): Buf {
    const b = x as GpuBuf;
    if (r0 < 0 || r0 + n > b.rows) throw new RangeError(`rows [${r0}, ${r0 + n}) outside a buffer of ${b.rows}`);
    return new GpuBuf(n, b.cols, b.off + r0 * b.cols);
  }

  async read(x: Buf, B: number, into?: Float32Array): Promise<Float32Array> {
    const X = x as GpuBuf;
    const bytes = await this.rec.read(this.act(), X.off * 4, B * X.cols * 4);
    for (const b of this.retired.splice(0)) b.destroy();
    return copyInto(new Float32Array(bytes), into);
  }

  describe() {
    return {
      name: this.name, weightBytes: this.weightBytes, threads: 1, adapter: this.opts.adapter.description, kv: this.opts.precision === 'fast' ? 'f16' : 'f32',
      upload: this.uploaded,
    };
  }

  release(): void {
    this.uploader?.close();
    this.rec.destroy();
    for (const b of this.owned) b.destroy();
    this.owned.length = 0;
    this.opts.onRelease?.();
  }
}

function equalWords(a: Uint32Array, b: Float32Array, n: number): boolean {
  const bw = new Uint32Array(b.buffer, b.byteOffset, n);
  for (let i = 0; i < n; i++) if (a[i] !== bw[i]) return false;
  return true;
}

export function createWebGpuBackend(opts: WebGpuOptions): WebGpuBackend {
  return new WebGpuBackend(opts);
}
