// WebGPU for runtimes without navigator.gpu (Bun): the same Backend interface, forwarded to a
// Deno child process (child.ts) over its stdin/stdout (protocol.ts). Why a child and not a
// binding: the npm `webgpu` (Dawn) binding crashed Bun 1.4.5 in createComputePipelineAsync and at
// the first dispatch (feasibility §6b), while Deno (an npm dependency already) ships WebGPU.
// Every operation but read() is recorded here and shipped with the next request, so a decode
// step is one round trip; the weights never cross the pipe (the child opens the same file).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import type { Backend, BackendOptions, Buf, KvCache, MoeWeights, Tensor } from '../../engine/backend.ts';
import type { Checkpoint, ModelConfig } from '../../model/types.ts';
import type { Probe } from '../select.ts';
import type { AdapterInfo } from './device.ts';
import { bytesF32, encodeFrame, f32Bytes, FrameDecoder, type Op, type Reply, type Request, type UploadResult } from './protocol.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'child.ts');

/** The Deno binary: $OSS_EDGE_DENO, the npm package's (node_modules/.bin/deno), or `deno` on PATH. */
export function denoPath(): string {
  if (process.env.OSS_EDGE_DENO) return process.env.OSS_EDGE_DENO;
  const local = join(ROOT, 'node_modules', '.bin', 'deno');
  return existsSync(local) ? local : 'deno';
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; progress?: (p: unknown) => void };

/** One Deno child and its request/answer bookkeeping. */
export class DenoChild {
  private readonly proc: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private nextBackend = 1;
  private dead: Error | null = null;
  readonly hello: Promise<{ adapter: AdapterInfo | null; why: string }>;

  constructor(deno = denoPath()) {
    this.proc = spawn(deno, ['run', '-A', '--quiet', '--no-prompt', CHILD], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    let helloDone: (h: { adapter: AdapterInfo | null; why: string }) => void;
    this.hello = new Promise((resolve) => { helloDone = resolve; });
    const dec = new FrameDecoder();
    this.proc.stdout!.on('data', (chunk: Uint8Array) => {
      for (const m of dec.push(chunk) as Reply[]) {
        if (m.t === 'hello') helloDone({ adapter: m.adapter, why: m.why });
        else if (m.t === 'progress') this.pending.get(m.id)?.progress?.(m.p);
        else {
          const p = this.pending.get(m.id);
          this.pending.delete(m.id);
          this.idle();
          if (m.error !== undefined) p?.reject(new Error(m.error)); else p?.resolve(m.result);
        }
      }
    });
    const fail = (e: Error) => {
      this.dead ??= e;
      helloDone({ adapter: null, why: e.message });
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    this.proc.on('error', (e) => fail(new Error(`could not start Deno (${deno}) for WebGPU: ${e.message}`)));
    this.proc.on('exit', (code, signal) => fail(new Error(`the WebGPU child process (Deno) exited (${signal ?? `code ${code}`})`)));
    this.proc.stdin!.on('error', () => {}); // a dead child shows up as 'exit'
  }

  newBackendId(): number { return this.nextBackend++; }

  request(r: DistributiveOmit<Request, 'id'>, progress?: (p: unknown) => void): Promise<unknown> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    const done = new Promise<unknown>((resolve, reject) => this.pending.set(id, { resolve, reject, progress }));
    if (this.pending.size === 1) this.busy();
    this.proc.stdin!.write(encodeFrame({ ...r, id } as Request));
    return done;
  }

  // While a request is in flight the child keeps this process alive; otherwise it must not (a
  // CLI that forgets release() still exits, and the child sees its stdin close).
  // (Only the process handle is re-referenced: Bun 1.4.5 never undoes a stdout.ref().)
  private busy(): void { this.proc.ref(); }
  private idle(): void {
    if (this.pending.size) return;
    this.proc.unref();
    (this.proc.stdout as unknown as { unref?(): void }).unref?.();
    (this.proc.stdin as unknown as { unref?(): void }).unref?.();
  }

  close(): void {
    this.proc.stdin!.end();
    this.idle();
  }
}

/** select.ts's probe for Bun: start the child, learn its adapter, keep it for open(). */
export async function probeRemote(): Promise<Probe> {
  const child = new DenoChild();
  const h = await Promise.race([child.hello, new Promise<{ adapter: null; why: string }>((r) => setTimeout(() => r({ adapter: null, why: 'the Deno child did not answer within 60 s' }), 60_000).unref?.())]);
  let users = 0;
  const closeIfUnused = () => { if (users === 0) child.close(); };
  return {
    adapters: h.adapter ? [h.adapter] : [],
    why: h.adapter ? '' : `Bun has no WebGPU; through Deno: ${h.why}`,
    async open() {
      return (opts: BackendOptions) => {
        users++;
        return new RemoteBackend(child, opts, h.adapter!, () => { if (--users === 0) child.close(); });
      };
    },
    dispose: closeIfUnused,
  };
}

class RTensor implements Tensor { constructor(readonly name: string, readonly shape: readonly number[], readonly h: number) {} }
class RBuf implements Buf { constructor(readonly rows: number, readonly cols: number, readonly h: number) {} }
class RKv implements KvCache { constructor(readonly context: number, readonly h: number) {} }

export class RemoteBackend implements Backend {
  readonly name = 'webgpu';
  private readonly bid: number;
  private ops: Op[] = [];
  private next = 1;
  private weightBytes = 0;
  private readonly views = new Map<string, RBuf>();
  private readonly ready: Promise<unknown>;

  constructor(private readonly child: DenoChild, private readonly opts: BackendOptions, private readonly adapter: AdapterInfo, private readonly onRelease: () => void) {
    this.bid = child.newBackendId();
    this.ready = child.request({ t: 'init', bid: this.bid, ops: [], opts: { precision: opts.precision, maxBatch: opts.maxBatch, arenaBytes: opts.arenaBytes } });
    this.ready.catch(() => {});
  }

  private take(): Op[] {
    const o = this.ops;
    this.ops = [];
    return o;
  }

  async upload(ckpt: Checkpoint): Promise<Map<string, Tensor>> {
    await this.ready;
    if (!existsSync(ckpt.path)) throw new Error(`webgpu (Deno child): the child opens the checkpoint itself, and ${ckpt.path} is not a file or folder`);
    const r = await this.child.request({ t: 'upload', bid: this.bid, ops: this.take(), path: ckpt.path }, (p) => this.opts.progress?.(p as never)) as UploadResult;
    this.weightBytes = r.weightBytes;
    return new Map(r.tensors.map(([name, shape, h]) => [name, new RTensor(name, shape, h)]));
  }

  buffer(rows: number, cols: number): Buf {
    const b = new RBuf(rows, cols, this.next++);
    this.ops.push(['buffer', b.h, rows, cols]);
    return b;
  }

  kvCache(config: ModelConfig, context: number): KvCache {
    const c = new RKv(context, this.next++);
    this.ops.push(['kv', c.h, config, context]);
    return c;
  }

  embed(table: Tensor, ids: ArrayLike<number>, B: number, out: Buf): void {
    const V = table.shape[0], list: number[] = [];
    for (let b = 0; b < B; b++) {
      const id = ids[b];
      if (!(Number.isInteger(id) && id >= 0 && id < V)) throw new RangeError(`token id ${id} outside the vocabulary (0..${V - 1})`);
      list.push(id);
    }
    this.ops.push(['embed', h(table), list, B, h(out)]);
  }

  rmsnorm(x: Buf, w: Tensor, out: Buf, B: number, eps: number): void { this.ops.push(['rmsnorm', h(x), h(w), h(out), B, eps]); }

  matmul(w: Tensor, x: Buf, out: Buf, B: number, bias?: Tensor): void { this.ops.push(['matmul', h(w), h(x), h(out), B, bias ? h(bias) : null]); }

  rope(x: Buf, nHeads: number, headDim: number, cs: Float32Array, B: number): void {
    this.ops.push(['rope', h(x), nHeads, headDim, f32Bytes(cs, B * headDim), B]);
  }

  attention(cache: KvCache, layer: number, q: Buf, k: Buf, v: Buf, sinks: Tensor, out: Buf, pos0: number, B: number, window: number): void {
    if (pos0 + B > cache.context) throw new RangeError(`position ${pos0 + B} exceeds the context of ${cache.context}`);
    this.ops.push(['attention', h(cache), layer, h(q), h(k), h(v), h(sinks), h(out), pos0, B, window]);
  }

  moe(x: Buf, w: MoeWeights, out: Buf, B: number, c: ModelConfig): void {
    const cfg = { numExperts: c.numExperts, expertsPerToken: c.expertsPerToken, hiddenSize: c.hiddenSize, intermediateSize: c.intermediateSize, swigluAlpha: c.swigluAlpha, swigluLimit: c.swigluLimit };
    this.ops.push(['moe', h(x), [w.router, w.routerBias, w.gateUp, w.gateUpBias, w.down, w.downBias].map(h), h(out), B, cfg]);
  }

  add(x: Buf, y: Buf, B: number): void { this.ops.push(['add', h(x), h(y), B]); }

  view(x: Buf, r0: number, n: number): Buf {
    if (r0 < 0 || r0 + n > x.rows) throw new RangeError(`rows [${r0}, ${r0 + n}) outside a buffer of ${x.rows}`);
    const key = `${h(x)}:${r0}:${n}`;
    let v = this.views.get(key); // forward() asks for the same few views every step
    if (!v) {
      v = new RBuf(n, x.cols, this.next++);
      this.ops.push(['view', v.h, h(x), r0, n]);
      this.views.set(key, v);
    }
    return v;
  }

  async read(x: Buf, B: number): Promise<Float32Array> {
    const bytes = await this.child.request({ t: 'read', bid: this.bid, ops: this.take(), buf: h(x), B }) as Uint8Array;
    return bytesF32(bytes);
  }

  describe() {
    return { name: this.name, weightBytes: this.weightBytes, threads: 1, adapter: this.adapter.description, via: 'deno' };
  }

  release(): void {
    this.child.request({ t: 'release', bid: this.bid, ops: [] }).catch(() => {}).finally(this.onRelease);
  }
}

function h(x: Tensor | Buf | KvCache): number {
  return (x as unknown as { h: number }).h;
}
