// A backend in a Deno child process (child.ts), behind the same Backend interface, over its
// stdin/stdout (frames.ts). It forwards whichever backend the child runs; it exists for WebGPU on
// runtimes without navigator.gpu (Bun): the npm `webgpu` (Dawn) binding crashed Bun 1.4.5 in
// createComputePipelineAsync and at the first dispatch (feasibility §6b), while Deno (an npm
// dependency already) ships WebGPU.
// Every op is recorded here and shipped with the next request that needs an answer, so a decode
// step is one round trip; weight matrices never cross the pipe (the child opens the same file).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { copyInto, type AdapterInfo, type Backend, type BackendFactory, type Buf, type KvCache, type KvSnapshot, type Probe, type Tensor } from '../backend.ts';
import { OPS, type BackendOps, type OpName } from '../ops.ts';
import { kvValueBytes, type EngineOptions } from '../options.ts';
import type { Checkpoint, ModelConfig, WeightRecord } from '../../model/types.ts';
import { bytesF32, encodeFrame, f32Bytes, FrameDecoder, type Call, type ChildBackend, type Reply, type Request } from './frames.ts';
import { encodeArgs } from './ops-wire.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'child.ts');

/** The Deno binary: $OSS_EDGE_DENO, the npm package's (node_modules/.bin/deno), or `deno` on PATH. */
export function denoPath(): string {
  if (process.env.OSS_EDGE_DENO) return process.env.OSS_EDGE_DENO;
  const local = join(ROOT, 'node_modules', '.bin', 'deno');
  return existsSync(local) ? local : 'deno';
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; progress?: (bytes: number) => void };

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
        else if (m.t === 'progress') this.pending.get(m.id)?.progress?.(m.bytes);
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

  request(r: DistributiveOmit<Request, 'id'>, progress?: (bytes: number) => void): Promise<unknown> {
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

/** backend-choice.ts's probe for Bun: start the child, learn its adapter, keep it for open(). */
export async function probeRemote(): Promise<Probe> {
  const child = new DenoChild();
  const h = await Promise.race([child.hello, new Promise<{ adapter: null; why: string }>((r) => setTimeout(() => r({ adapter: null, why: 'the Deno child did not answer within 60 s' }), 60_000).unref?.())]);
  let users = 0;
  const closeIfUnused = () => { if (users === 0) child.close(); };
  return {
    adapters: h.adapter ? [h.adapter] : [],
    why: h.adapter ? '' : `Bun has no WebGPU; through Deno: ${h.why}`,
    async open(): Promise<BackendFactory> {
      return (opts: EngineOptions) => {
        users++;
        return new RemoteBackend(child, 'webgpu', opts, h.adapter!, () => { if (--users === 0) child.close(); });
      };
    },
    dispose: closeIfUnused,
  };
}

class RTensor implements Tensor { constructor(readonly name: string, readonly shape: readonly number[], readonly h: number) {} }
class RBuf implements Buf { constructor(readonly rows: number, readonly cols: number, readonly h: number) {} }
class RKv implements KvCache { constructor(readonly context: number, readonly h: number) {} }
class RSnapshot implements KvSnapshot { constructor(readonly length: number, readonly bytes: number, readonly h: number) {} }

// The op methods are generated from OPS (below the class): this says the class has them.
export interface RemoteBackend extends BackendOps {}

export class RemoteBackend implements Backend {
  readonly name: string;
  private readonly bid: number;
  private calls: Call[] = [];
  private next = 1;
  private weightBytes = 0;
  private readonly views = new Map<string, RBuf>();
  private readonly ready: Promise<unknown>;

  constructor(private readonly child: DenoChild, backend: ChildBackend, private readonly opts: EngineOptions, private readonly adapter: AdapterInfo | null,
    private readonly onRelease: () => void) {
    this.name = backend;
    this.bid = child.newBackendId();
    this.ready = child.request({ t: 'init', bid: this.bid, calls: [], backend, opts });
    this.ready.catch(() => {});
  }

  private take(): Call[] {
    const c = this.calls;
    this.calls = [];
    return c;
  }

  /** An op of ops.ts: recorded with its arguments in wire form. */
  record(op: OpName, args: readonly unknown[]): void {
    this.calls.push(['op', op, encodeArgs(op, args)]);
  }

  async prepare(ckpt: Checkpoint): Promise<void> {
    await this.ready;
    if (!existsSync(ckpt.path)) throw new Error(`${this.name} (Deno child): the child opens the checkpoint itself, and ${ckpt.path} is not a file or folder`);
    await this.child.request({ t: 'prepare', bid: this.bid, calls: this.take(), path: ckpt.path });
  }

  async matrix(rec: WeightRecord, progress: (bytes: number) => void): Promise<Tensor> {
    const t = new RTensor(rec.name, rec.shape, this.next++);
    await this.child.request({ t: 'matrix', bid: this.bid, calls: this.take(), h: t.h, name: rec.name }, progress);
    return t;
  }

  vector(name: string, shape: readonly number[], data: Float32Array): Tensor {
    const t = new RTensor(name, shape, this.next++);
    this.calls.push(['vector', t.h, name, [...shape], f32Bytes(data, data.length)]);
    return t;
  }

  async finish(): Promise<void> {
    this.weightBytes = await this.child.request({ t: 'finish', bid: this.bid, calls: this.take() }) as number;
  }

  buffer(rows: number, cols: number): Buf {
    const b = new RBuf(rows, cols, this.next++);
    this.calls.push(['buffer', b.h, rows, cols]);
    return b;
  }

  kvCache(config: ModelConfig, context: number): KvCache {
    const c = new RKv(context, this.next++);
    this.calls.push(['kv', c.h, config, context]);
    this.kvConfigs.set(c, config);
    return c;
  }

  view(x: Buf, r0: number, n: number): Buf {
    const key = `${(x as RBuf).h}:${r0}:${n}`;
    let v = this.views.get(key); // forward() asks for the same few views every step
    if (!v) {
      v = new RBuf(n, x.cols, this.next++);
      this.calls.push(['view', v.h, (x as RBuf).h, r0, n]);
      this.views.set(key, v);
    }
    return v;
  }

  saveKv(cache: KvCache, length: number): KvSnapshot {
    const s = new RSnapshot(length, length * this.kvRowBytes(cache), this.next++);
    this.calls.push(['saveKv', s.h, (cache as RKv).h, length]);
    return s;
  }

  /** K and V bytes of one position over all layers: a snapshot's size as budgets see it (rings count in full). */
  private kvRowBytes(cache: KvCache): number {
    const c = this.kvConfigs.get(cache as RKv)!;
    return 2 * c.numLayers * c.numKvHeads * c.headDim * kvValueBytes(this.opts.precision);
  }
  private readonly kvConfigs = new Map<RKv, ModelConfig>();

  restoreKv(snapshot: KvSnapshot, cache: KvCache): void {
    this.calls.push(['restoreKv', (snapshot as RSnapshot).h, (cache as RKv).h]);
  }

  dropKv(snapshot: KvSnapshot): void {
    this.calls.push(['dropKv', (snapshot as RSnapshot).h]);
  }

  async read(x: Buf, B: number, into?: Float32Array): Promise<Float32Array> {
    const bytes = await this.child.request({ t: 'read', bid: this.bid, calls: this.take(), buf: (x as RBuf).h, B }) as Uint8Array;
    return copyInto(bytesF32(bytes), into);
  }

  describe() {
    return { name: this.name, weightBytes: this.weightBytes, threads: 1, adapter: this.adapter?.description, via: 'deno' };
  }

  release(): void {
    this.child.request({ t: 'release', bid: this.bid, calls: [] }).catch(() => {}).finally(this.onRelease);
  }
}

for (const op of Object.keys(OPS) as OpName[]) {
  Object.defineProperty(RemoteBackend.prototype, op, {
    value: function (this: RemoteBackend, ...args: unknown[]) { this.record(op, args); },
  });
}
