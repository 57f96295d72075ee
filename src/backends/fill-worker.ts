// A reader thread of a weight upload: opens the checkpoint itself (records hold file handles and
// cannot cross threads) and writes a tensor's canonical bytes — or their Q8_0 re-quantisation —
// either into a buffer it is given and hands back (webgpu/prefetch.ts: both ways transferred, a
// buffer belongs to one thread at a time) or straight into shared memory at an offset
// (cpu/arena-reader.ts: a weight arena, where the tensor stays).
import { loadCheckpoint } from '../model/checkpoint.ts';
import { ModelLoadError, type Checkpoint } from '../model/types.ts';
import type { FillReply, FillRequest } from './fill-jobs.ts';
import { requantizeQ8 } from './requant.ts';

declare const self: { onmessage: ((e: MessageEvent<FillRequest>) => void) | null; postMessage(m: FillReply, transfer?: ArrayBuffer[]): void; close(): void };

let ckpt: Checkpoint | null = null;
self.onmessage = (e) => {
  const m = e.data;
  if (m.t === 'close') {
    ckpt?.close();
    self.close();
    return;
  }
  const back = (r: Omit<FillReply, 'id' | 'buf'>) => (m.t === 'fill' ? self.postMessage({ id: m.id, buf: m.buf, ...r }, [m.buf]) : self.postMessage({ id: m.id, ...r }));
  try {
    if (ckpt?.path !== m.path) { ckpt?.close(); ckpt = loadCheckpoint(m.path); }
    const rec = ckpt.tensors.get(m.name);
    if (!rec) throw new Error(`${m.path}: no tensor ${m.name}`);
    const dst = m.t === 'fill' ? new Uint8Array(m.buf, 0, m.bytes) : new Uint8Array(m.memory, m.offset, m.bytes);
    if (m.requant) requantizeQ8(rec, dst, 0, () => {});
    else rec.fill(dst);
    back({});
  } catch (err) {
    const load = err instanceof ModelLoadError ? { file: err.file, tensor: err.tensor, problem: err.problem } : undefined;
    back({ error: (err as Error).message, load });
  }
};
