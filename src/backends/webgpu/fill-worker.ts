// A reader thread of the weight upload (prefetch.ts): opens the checkpoint itself (records hold
// file handles and cannot cross threads) and writes a tensor's canonical bytes — or their Q8_0
// re-quantisation for --dense-q8 — into the buffer it is given, and hands the buffer back (both
// ways transferred, not copied: a buffer belongs to one thread at a time, so no shared memory).
import { loadCheckpoint } from '../../model/checkpoint.ts';
import type { Checkpoint } from '../../model/types.ts';
import { requantizeQ8 } from '../requant.ts';

export type FillRequest = { t: 'fill'; id: number; path: string; name: string; requant: boolean; buf: ArrayBuffer; bytes: number } | { t: 'close' };
export type FillReply = { id: number; buf: ArrayBuffer; error?: string };

declare const self: { onmessage: ((e: MessageEvent<FillRequest>) => void) | null; postMessage(m: FillReply, transfer: ArrayBuffer[]): void; close(): void };

let ckpt: Checkpoint | null = null;
self.onmessage = (e) => {
  const m = e.data;
  if (m.t === 'close') {
    ckpt?.close();
    self.close();
    return;
  }
  try {
    if (ckpt?.path !== m.path) { ckpt?.close(); ckpt = loadCheckpoint(m.path); }
    const rec = ckpt.tensors.get(m.name);
    if (!rec) throw new Error(`${m.path}: no tensor ${m.name}`);
    const dst = new Uint8Array(m.buf, 0, m.bytes);
    if (m.requant) requantizeQ8(rec, dst, 0, () => {});
    else rec.fill(dst);
    self.postMessage({ id: m.id, buf: m.buf }, [m.buf]);
  } catch (err) {
    self.postMessage({ id: m.id, buf: m.buf, error: (err as Error).message }, [m.buf]);
  }
};
