// The child half of a RemoteBackend (remote-backend.ts starts it: `deno run -A child.ts`). It owns
// the backends it is asked for (WebGPU: Deno has it built in; or the CPU), reads request frames on
// stdin and answers on stdout (frames.ts). Ops arrive by name and are applied through OPS
// (ops-wire.ts), so this file knows no op. It exits when stdin closes.
import process from 'node:process';
import type { Backend } from '../backend.ts';
import { createCpuBackend } from '../cpu/cpu-backend.ts';
import { loadCheckpoint } from '../../model/checkpoint.ts';
import type { Checkpoint } from '../../model/types.ts';
import { createWebGpuBackend } from '../webgpu/webgpu-backend.ts';
import { describeAdapter, openDevice, requestAdapter, type DeviceFeatures } from '../webgpu/device.ts';
import { tuningFromEnv } from '../webgpu/tuning.ts';
import { bytesF32, encodeFrame, FrameDecoder, type Call, type Reply, type Request } from './frames.ts';
import { decodeArgs } from './ops-wire.ts';

declare const Deno: {
  stdin: { readable: ReadableStream<Uint8Array> };
  stdout: { write(b: Uint8Array): Promise<number> };
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

interface Hosted { be: Backend; h: Map<number, unknown>; ckpt: Checkpoint | null }
const hosted = new Map<number, Hosted>();

const adapter = await requestAdapter().catch(() => null);
const info = adapter ? describeAdapter(adapter) : null;
let device: Promise<{ device: GPUDevice; features: DeviceFeatures }> | null = null;
send({ t: 'hello', adapter: info, why: adapter ? '' : 'Deno found no WebGPU adapter' });

function get(s: Hosted, h: number): unknown {
  const v = s.h.get(h);
  if (v === undefined) throw new Error(`remote child: unknown handle ${h}`);
  return v;
}

function apply(s: Hosted, c: Call): void {
  const be = s.be;
  switch (c[0]) {
    case 'buffer': s.h.set(c[1], be.buffer(c[2], c[3])); break;
    case 'kv': s.h.set(c[1], be.kvCache(c[2], c[3])); break;
    case 'view': s.h.set(c[1], be.view(get(s, c[2]) as never, c[3], c[4])); break;
    case 'vector': s.h.set(c[1], be.vector(c[2], c[3], bytesF32(c[4]))); break;
    case 'saveKv': s.h.set(c[1], be.saveKv(get(s, c[2]) as never, c[3])); break;
    case 'restoreKv': be.restoreKv(get(s, c[1]) as never, get(s, c[2]) as never); break;
    case 'dropKv': be.dropKv(get(s, c[1]) as never); s.h.delete(c[1]); break;
    case 'op': (be[c[1]] as (...a: unknown[]) => void)(...decodeArgs(c[1], c[2], (h) => get(s, h))); break;
    default: throw new Error(`remote child: unknown call ${(c as Call)[0]}`);
  }
}

async function handle(r: Request): Promise<unknown> {
  if (r.t === 'init') {
    let be: Backend;
    if (r.backend === 'cpu') {
      be = createCpuBackend(r.opts);
    } else {
      if (!adapter || !info) throw new Error('Deno found no WebGPU adapter');
      const t = tuningFromEnv();
      device ??= openDevice(adapter, { f16: t.f16 });
      const { device: d, features } = await device;
      be = createWebGpuBackend({ ...r.opts, device: d, features, adapter: info, lanes: t.lanes, repack: t.repack, stagingBytes: t.stagingBytes, prefetch: t.prefetch });
    }
    hosted.set(r.bid, { be, h: new Map(), ckpt: null });
    return null;
  }
  const s = hosted.get(r.bid);
  if (!s) throw new Error(`remote child: no backend ${r.bid}`);
  for (const c of r.calls) apply(s, c);
  switch (r.t) {
    case 'prepare':
      s.ckpt = loadCheckpoint(r.path);
      await s.be.prepare(s.ckpt);
      return null;
    case 'matrix': {
      const rec = s.ckpt?.tensors.get(r.name);
      if (!rec) throw new Error(`remote child: ${r.name} is not a tensor of the checkpoint it opened`);
      let pending = 0, last = performance.now();
      const t = await s.be.matrix(rec, (n) => {
        pending += n;
        const now = performance.now();
        if (now - last > 100) { last = now; send({ t: 'progress', id: r.id, bytes: pending }); pending = 0; }
      });
      if (pending) send({ t: 'progress', id: r.id, bytes: pending });
      s.h.set(r.h, t);
      return null;
    }
    case 'finish':
      await s.be.finish();
      s.ckpt?.close();
      s.ckpt = null;
      return s.be.describe().weightBytes;
    case 'read': {
      const f = await s.be.read(get(s, r.buf) as never, r.B);
      return new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
    }
    case 'release':
      s.be.release();
      s.ckpt?.close();
      hosted.delete(r.bid);
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
for (const s of hosted.values()) s.be.release();
process.exit(0);
