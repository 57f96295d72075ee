// Records kernel dispatches and submits them only when the host needs a result (read) or a ring
// fills up: every Backend operation but read() just appends to the open compute pass.
// Per-dispatch parameters live in a parameter ring (one 256-byte block each, bound with a dynamic
// offset); per-op host data (token ids, RoPE tables) in a storage ring. Both rings are written
// with one writeBuffer each just before their submit, so queue order keeps them consistent.
// The parameter block is a read-only storage binding, not a uniform: lavapipe (Mesa 22.3)
// specialises a shader on the values it reads from uniform buffers, so with uniforms every new
// set of offsets compiled a new variant (tiny-a decode with Mesa's shader cache off: 5.7 s for
// 10 tokens with uniforms, 0.6 s with storage; no difference once compiled).
import { kernelSource, paramIndex, PARAM_SLOT, type KernelSpec } from './kernels.ts';

const PARAM_RING = 1 << 20; //  4096 dispatches per submit
const DATA_RING = 4 << 20; //   words of ids and RoPE tables per submit
const PROFILED = 2048; //      timed dispatches per submit (4096 queries per set at most)

export interface Kernel {
  spec: KernelSpec;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  fields: Map<string, { index: number; f32: boolean }>;
}

export class Recorder {
  private readonly kernels = new Map<string, Kernel>();
  private readonly groups = new Map<string, GPUBindGroup>();
  private readonly ids = new WeakMap<GPUBuffer, number>();
  private nextId = 1;
  readonly params: GPUBuffer;
  readonly data: GPUBuffer;
  private readonly pHost = new ArrayBuffer(PARAM_RING);
  private readonly pU32 = new Uint32Array(this.pHost);
  private readonly pF32 = new Float32Array(this.pHost);
  private readonly dHost = new Uint32Array(DATA_RING / 4);
  private pUsed = 0; //  bytes
  private dUsed = 0; //  words
  private enc: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private staging: GPUBuffer[] = [];
  /** First asynchronous GPU error (validation, out of memory, device lost); read() rethrows it. */
  error: Error | null = null;
  dispatches = 0;
  submits = 0;

  private prof: { set: GPUQuerySet; resolve: GPUBuffer; names: string[]; pending: Promise<void>[]; ns: Map<string, { n: number; ns: number }> } | null = null;

  constructor(readonly device: GPUDevice, profile = false) {
    if (profile) {
      if (!device.features.has('timestamp-query')) throw new Error('profiling needs the timestamp-query feature');
      this.prof = {
        set: device.createQuerySet({ label: 'webgpu.profile', type: 'timestamp', count: 2 * PROFILED }),
        resolve: device.createBuffer({ label: 'webgpu.profile.resolve', size: 16 * PROFILED, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }),
        names: [], pending: [], ns: new Map(),
      };
    }
    this.params = device.createBuffer({ label: 'webgpu.params', size: PARAM_RING, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    this.data = device.createBuffer({ label: 'webgpu.data', size: DATA_RING, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    device.addEventListener('uncapturederror', (e) => { this.error ??= new Error(`WebGPU: ${(e as GPUUncapturedErrorEvent).error.message}`); });
    device.lost.then((info) => { this.error ??= new Error(`WebGPU device lost: ${info.message || info.reason}`); });
  }

  kernel(spec: KernelSpec): Kernel {
    let k = this.kernels.get(spec.name);
    if (k) return k;
    const d = this.device;
    const layout = d.createBindGroupLayout({
      label: `webgpu.${spec.name}.layout`,
      entries: [
        { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage', hasDynamicOffset: true, minBindingSize: Math.ceil(spec.params.length / 4) * 16 } }, // the WGSL struct's size
        ...spec.bindings.map((b, i) => ({ binding: i + 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: b.access === 'rw' ? 'storage' as const : 'read-only-storage' as const } })),
      ],
    });
    const module = d.createShaderModule({ label: `webgpu.${spec.name}`, code: kernelSource(spec) });
    const pipeline = d.createComputePipeline({
      label: `webgpu.${spec.name}.pipeline`,
      layout: d.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main' },
    });
    k = { spec, pipeline, layout, fields: paramIndex(spec.params) };
    this.kernels.set(spec.name, k);
    return k;
  }

  private bufferId(b: GPUBuffer): number {
    let id = this.ids.get(b);
    if (id === undefined) { id = this.nextId++; this.ids.set(b, id); }
    return id;
  }

  /** Forgets cached bind groups (after a buffer they name was replaced). */
  dropBindGroups(): void { this.groups.clear(); }

  /** `cache` false: a group for buffers used once (load-time staging), not kept. */
  private bindGroup(k: Kernel, buffers: GPUBuffer[], cache: boolean): GPUBindGroup {
    const key = cache ? `${k.spec.name}|${buffers.map((b) => this.bufferId(b)).join(',')}` : '';
    let g = cache ? this.groups.get(key) : undefined;
    if (!g) {
      g = this.device.createBindGroup({
        label: `webgpu.${k.spec.name}.bind`, layout: k.layout,
        entries: [{ binding: 0, resource: { buffer: this.params, offset: 0, size: PARAM_SLOT } },
          ...buffers.map((buffer, i) => ({ binding: i + 1, resource: { buffer } }))],
      });
      if (cache) this.groups.set(key, g);
    }
    return g;
  }

  /**
   * Makes room for `dispatches` parameter blocks and `words` of data in the current submission,
   * submitting first if they would not fit. An op calls it once, before pushing anything.
   */
  reserve(dispatches: number, words = 0): void {
    if (dispatches * PARAM_SLOT > PARAM_RING || words > this.dHost.length) throw new Error(`one operation needs ${dispatches} dispatches and ${words} data words: more than a submission holds`);
    if (this.pUsed + dispatches * PARAM_SLOT > PARAM_RING || this.dUsed + words > this.dHost.length ||
      (this.prof && this.prof.names.length + dispatches > PROFILED)) this.submit();
  }

  /** Appends host data (u32 or f32 words) for this submission; returns its word offset. */
  push(values: Uint32Array | Float32Array | ArrayLike<number>, f32 = false): number {
    const at = this.dUsed, n = values.length;
    if (at + n > this.dHost.length) throw new Error('data ring overflow (reserve() first)');
    if (values instanceof Float32Array) this.dHost.set(new Uint32Array(values.buffer, values.byteOffset, n), at);
    else if (f32) new Float32Array(this.dHost.buffer).set(values as ArrayLike<number>, at);
    else this.dHost.set(values as ArrayLike<number>, at);
    this.dUsed += n;
    return at;
  }

  /** Host data pushed at `at` (to reuse an identical table within one submission). */
  pushed(at: number, n: number): Uint32Array { return this.dHost.subarray(at, at + n); }
  get dataUsed(): number { return this.dUsed; }

  dispatch(k: Kernel, buffers: GPUBuffer[], params: Record<string, number>, x: number, y = 1, cache = true): void {
    if (x === 0 || y === 0) return;
    if (this.pUsed + PARAM_SLOT > PARAM_RING) throw new Error('parameter ring overflow (reserve() first)');
    const at = this.pUsed, w0 = at / 4;
    this.pU32.fill(0, w0, w0 + k.fields.size);
    for (const [name, v] of Object.entries(params)) {
      const f = k.fields.get(name);
      if (!f) throw new Error(`${k.spec.name}: no parameter ${name}`);
      if (f.f32) this.pF32[w0 + f.index] = v;
      else {
        if (!(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) throw new Error(`${k.spec.name}: parameter ${name} = ${v} is not a u32`);
        this.pU32[w0 + f.index] = v;
      }
    }
    this.pUsed += PARAM_SLOT;
    const lim = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (x > lim || y > lim) throw new Error(`${k.spec.name}: ${x}×${y} workgroups exceed the adapter's grid (${lim} per dimension)`);
    const pr = this.prof;
    if (pr) { // one pass per dispatch, timed at both ends
      this.closePass();
      const i = pr.names.push(k.spec.name) - 1;
      this.pass = this.encoder().beginComputePass({ timestampWrites: { querySet: pr.set, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
    }
    const pass = this.openPass();
    pass.setPipeline(k.pipeline);
    pass.setBindGroup(0, this.bindGroup(k, buffers, cache), [at]);
    pass.dispatchWorkgroups(x, y);
    if (pr) this.closePass();
    this.dispatches++;
  }

  /**
   * One thread per item for the element-wise kernels: ceil(n / WG) workgroups, folded into
   * (x, y) past the grid limit (those kernels index with gid.x + gid.y · nwg.x · WG).
   */
  dispatchThreads(k: Kernel, buffers: GPUBuffer[], params: Record<string, number>, n: number, cache = true): void {
    const groups = Math.ceil(n / k.spec.wg), lim = this.device.limits.maxComputeWorkgroupsPerDimension;
    const y = Math.ceil(groups / lim);
    this.dispatch(k, buffers, params, Math.ceil(groups / y), y, cache);
  }

  /** A buffer-to-buffer copy in submission order (between passes). */
  copy(src: GPUBuffer, srcOff: number, dst: GPUBuffer, dstOff: number, bytes: number): void {
    this.closePass();
    this.encoder().copyBufferToBuffer(src, srcOff, dst, dstOff, bytes);
  }

  private encoder(): GPUCommandEncoder {
    return this.enc ??= this.device.createCommandEncoder({ label: 'webgpu.batch' });
  }

  private openPass(): GPUComputePassEncoder {
    return this.pass ??= this.encoder().beginComputePass({ label: 'webgpu.pass' });
  }

  private closePass(): void {
    this.pass?.end();
    this.pass = null;
  }

  /** Sends everything recorded so far to the GPU. */
  submit(): void {
    if (!this.enc) return;
    this.closePass();
    const q = this.device.queue;
    if (this.pUsed) q.writeBuffer(this.params, 0, this.pHost, 0, this.pUsed);
    if (this.dUsed) q.writeBuffer(this.data, 0, this.dHost.buffer, 0, this.dUsed * 4);
    const pr = this.prof, n = pr?.names.length ?? 0;
    let map: GPUBuffer | null = null;
    if (pr && n) {
      map = this.device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      this.enc.resolveQuerySet(pr.set, 0, 2 * n, pr.resolve, 0);
      this.enc.copyBufferToBuffer(pr.resolve, 0, map, 0, 16 * n);
    }
    q.submit([this.enc.finish()]);
    if (pr && map) {
      const names = pr.names.splice(0), m = map;
      pr.pending.push(m.mapAsync(GPUMapMode.READ).then(() => {
        const t = new BigUint64Array(m.getMappedRange());
        names.forEach((name, i) => {
          const e = pr.ns.get(name) ?? { n: 0, ns: 0 };
          e.n++; e.ns += Number(t[2 * i + 1] - t[2 * i]);
          pr.ns.set(name, e);
        });
        m.destroy();
      }));
    }
    this.enc = null;
    this.pUsed = 0;
    this.dUsed = 0;
    this.submits++;
  }

  /** Copies `bytes` at `offset` of `src` back to the host after everything recorded so far. */
  async read(src: GPUBuffer, offset: number, bytes: number): Promise<ArrayBuffer> {
    const st = this.staging.pop() ?? null;
    const buf = st && st.size >= bytes ? st : this.device.createBuffer({ label: 'webgpu.readback', size: Math.max(bytes, 4096), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    if (st && st !== buf) st.destroy();
    this.copy(src, offset, buf, 0, bytes);
    this.submit();
    try {
      await buf.mapAsync(GPUMapMode.READ, 0, bytes);
    } catch (e) {
      throw this.error ?? e;
    }
    const out = buf.getMappedRange(0, bytes).slice(0);
    buf.unmap();
    this.staging.push(buf);
    if (this.error) throw this.error;
    return out;
  }

  /** GPU time per kernel since the start (profiling recorders only): name → calls, total ns. */
  async profile(): Promise<Map<string, { n: number; ns: number }>> {
    if (!this.prof) throw new Error('this recorder does not profile');
    await Promise.all(this.prof.pending.splice(0));
    return this.prof.ns;
  }

  destroy(): void {
    for (const b of this.staging) b.destroy();
    this.params.destroy();
    this.data.destroy();
  }
}
