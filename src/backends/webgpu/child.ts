// The GPU half of the Bun → Deno route (remote.ts starts it: `deno run -A child.ts`). Deno has
// WebGPU built in; this process owns the device and the WebGpuBackends, reads request frames on
// stdin and answers on stdout (protocol.ts). It exits when stdin closes.
import process from 'node:process';
import type { Backend, Buf, KvCache, LoadProgress, MoeWeights, Tensor } from '../../engine/backend.ts';
import { loadCheckpoint } from '../../model/load.ts';
import type { ModelConfig } from '../../model/types.ts';
import { createWebGpuBackend, type WebGpuBackend } from './backend.ts';
import { describeAdapter, openDevice, requestAdapter, type DeviceFeatures } from './device.ts';
import { bytesF32, encodeFrame, FrameDecoder, type Op, type Reply, type Request, type UploadResult } from './protocol.ts';
import { tuningFromEnv } from './tuning.ts';

declare const Deno: {
  stdin: { readable: ReadableStream<Uint8Array> };
  stdout: { write(b: Uint8Array): Promise<number> };
  exit(code: number): never;
};

// stdout carries frames: nothing else may print there.
console.log = console.error;
console.info = console.error;

let out = Promise.resolve();
function send(msg: Reply): void {
  const frame = encodeFrame(msg);
  out = out.then(async () => {
    for (let at = 0; at < frame.length;) at += await Deno.stdout.write(frame.subarray(at));
  });
}

type Handle = Buf | KvCache | Tensor;
interface Session { be: WebGpuBackend; h: Map<number, Handle> }
const sessions = new Map<number, Session>();
/** Progress of the upload in flight (uploads are handled one at a time). */
let uploading: ((p: LoadProgress) => void) | null = null;

const adapter = await requestAdapter().catch(() => null);
const info = adapter ? describeAdapter(adapter) : null;
let device: Promise<{ device: GPUDevice; features: DeviceFeatures }> | null = null;
send({ t: 'hello', adapter: info, why: adapter ? '' : 'Deno found no WebGPU adapter' });

function get<T extends Handle>(s: Session, h: number): T {
  const v = s.h.get(h);
  if (v === undefined) throw new Error(`webgpu child: unknown handle ${h}`);
  return v as T;
}

function apply(s: Session, op: Op): void {
  const be: Backend = s.be;
  switch (op[0]) {
    case 'buffer': s.h.set(op[1], be.buffer(op[2], op[3])); break;
    case 'kv': s.h.set(op[1], be.kvCache(op[2], op[3])); break;
    case 'view': s.h.set(op[1], be.view(get<Buf>(s, op[2]), op[3], op[4])); break;
    case 'embed': be.embed(get<Tensor>(s, op[1]), op[2], op[3], get<Buf>(s, op[4])); break;
    case 'rmsnorm': be.rmsnorm(get<Buf>(s, op[1]), get<Tensor>(s, op[2]), get<Buf>(s, op[3]), op[4], op[5]); break;
    case 'matmul': be.matmul(get<Tensor>(s, op[1]), get<Buf>(s, op[2]), get<Buf>(s, op[3]), op[4], op[5] === null ? undefined : get<Tensor>(s, op[5])); break;
    case 'rope': be.rope(get<Buf>(s, op[1]), op[2], op[3], bytesF32(op[4]), op[5]); break;
    case 'attention': {
      const [, c, layer, q, k, v, sinks, o, pos0, B, window] = op;
      be.attention(get<KvCache>(s, c), layer, get<Buf>(s, q), get<Buf>(s, k), get<Buf>(s, v), get<Tensor>(s, sinks), get<Buf>(s, o), pos0, B, window);
      break;
    }
    case 'moe': {
      const [router, routerBias, gateUp, gateUpBias, down, downBias] = op[2].map((h) => get<Tensor>(s, h));
      const w: MoeWeights = { router, routerBias, gateUp, gateUpBias, down, downBias };
      be.moe(get<Buf>(s, op[1]), w, get<Buf>(s, op[3]), op[4], op[5] as ModelConfig);
      break;
    }
    case 'add': be.add(get<Buf>(s, op[1]), get<Buf>(s, op[2]), op[3]); break;
    default: throw new Error(`webgpu child: unknown operation ${(op as Op)[0]}`);
  }
}

async function handle(r: Request): Promise<unknown> {
  if (r.t === 'init') {
    if (!adapter || !info) throw new Error('Deno found no WebGPU adapter');
    const t = tuningFromEnv();
    device ??= openDevice(adapter, { f16: t.f16 });
    const { device: d, features } = await device;
    const progress = (p: LoadProgress) => uploading?.(p);
    sessions.set(r.bid, { be: createWebGpuBackend({ ...r.opts, progress, device: d, features, adapter: info, lanes: t.lanes }), h: new Map() });
    return null;
  }
  const s = sessions.get(r.bid);
  if (!s) throw new Error(`webgpu child: no backend ${r.bid}`);
  for (const op of r.ops) apply(s, op);
  switch (r.t) {
    case 'upload': {
      const ckpt = loadCheckpoint(r.path);
      try {
        let last = 0;
        uploading = (p) => {
          const now = performance.now();
          if (now - last > 100 || p.bytes === p.totalBytes) { last = now; send({ t: 'progress', id: r.id, p }); }
        };
        const tensors = await s.be.upload(ckpt);
        const list: UploadResult['tensors'] = [];
        let h = -1;
        for (const [name, t] of tensors) { s.h.set(h, t); list.push([name, [...t.shape], h--]); }
        return { tensors: list, weightBytes: s.be.describe().weightBytes } satisfies UploadResult;
      } finally {
        uploading = null;
        ckpt.close();
      }
    }
    case 'read': {
      const f = await s.be.read(get<Buf>(s, r.buf), r.B);
      return new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
    }
    case 'release':
      s.be.release();
      sessions.delete(r.bid);
      return null;
  }
}

const dec = new FrameDecoder();
let queue = Promise.resolve();
for await (const chunk of Deno.stdin.readable) {
  for (const msg of dec.push(chunk) as Request[]) {
    queue = queue.then(async () => {
      try {
        send({ t: 'done', id: msg.id, result: await handle(msg) });
      } catch (e) {
        send({ t: 'done', id: msg.id, error: (e as Error).message });
      }
    });
  }
}
await queue;
await out;
for (const s of sessions.values()) s.be.release();
process.exit(0);
