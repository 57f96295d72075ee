// The pipe between a RemoteBackend (remote-backend.ts) and its Deno child (child.ts):
// length-prefixed msgpack frames on the child's stdin/stdout. Backend calls travel in batches with
// the next request that needs an answer (prepare, matrix, finish, read, release), so a decode step
// costs one round trip.
//   frame  = u32 LE body length · msgpack body
//   host → child   { t: 'init' | 'prepare' | 'matrix' | 'finish' | 'read' | 'release', id, bid, calls: Call[], … }
//   child → host   { t: 'hello', adapter, why } once; { t: 'progress', id, bytes }; { t: 'done', id, result | error }
// Handles (numbers) name buffers, views, K/V caches and tensors; the host allocates them all.
import { Packr } from 'msgpackr';
import type { AdapterInfo } from '../backend.ts';
import type { OpName } from '../ops.ts';
import type { EngineOptions } from '../options.ts';
import type { ModelConfig } from '../../model/types.ts';

/** One recorded Backend call: the resource calls, or an op of ops.ts with its wire arguments (ops-wire.ts). */
export type Call =
  | ['buffer', number, number, number] //                      h, rows, cols
  | ['kv', number, ModelConfig, number] //                     h, config, context
  | ['view', number, number, number, number] //                h, src, r0, n
  | ['vector', number, string, number[], Uint8Array] //        h, name, shape, f32 bytes
  | ['saveKv', number, number, number] //                     h, cache, length
  | ['restoreKv', number, number] //                          snapshot, cache
  | ['dropKv', number] //                                      snapshot
  | ['op', OpName, unknown[]];

/** Which backend the child runs (it forwards whichever; WebGPU is why it exists). */
export type ChildBackend = 'webgpu' | 'cpu';

export type Request =
  | { t: 'init'; id: number; bid: number; calls: Call[]; backend: ChildBackend; opts: EngineOptions }
  | { t: 'prepare'; id: number; bid: number; calls: Call[]; path: string }
  | { t: 'matrix'; id: number; bid: number; calls: Call[]; h: number; name: string }
  | { t: 'finish'; id: number; bid: number; calls: Call[] }
  | { t: 'read'; id: number; bid: number; calls: Call[]; buf: number; B: number }
  | { t: 'release'; id: number; bid: number; calls: Call[] };

export type Reply =
  | { t: 'hello'; adapter: AdapterInfo | null; why: string }
  | { t: 'progress'; id: number; bytes: number }
  | { t: 'done'; id: number; result?: unknown; error?: string };

const packr = new Packr({ useRecords: false });

export function encodeFrame(msg: Request | Reply): Uint8Array {
  const body = packr.pack(msg);
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length, true);
  out.set(body, 4);
  return out;
}

/** Reassembles frames from stream chunks of any size. */
export class FrameDecoder {
  private buf = new Uint8Array(0);
  push(chunk: Uint8Array): unknown[] {
    const b = this.buf.length ? concat(this.buf, chunk) : chunk;
    const out: unknown[] = [];
    let at = 0;
    while (b.length - at >= 4) {
      const n = new DataView(b.buffer, b.byteOffset + at, 4).getUint32(0, true);
      if (b.length - at - 4 < n) break;
      out.push(packr.unpack(b.subarray(at + 4, at + 4 + n)));
      at += 4 + n;
    }
    this.buf = b.slice(at);
    return out;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const c = new Uint8Array(a.length + b.length);
  c.set(a);
  c.set(b, a.length);
  return c;
}

/** The f32 bytes of a Float32Array range (a copy: the frame outlives the caller's array). */
export function f32Bytes(a: Float32Array, n: number): Uint8Array {
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + n * 4));
}

/** A Float32Array over bytes that arrived in a frame (copied when unaligned). */
export function bytesF32(b: Uint8Array): Float32Array {
  const a = b.byteOffset % 4 === 0 ? b : new Uint8Array(b); // (Buffer#slice would share, not copy)
  return new Float32Array(a.buffer, a.byteOffset, a.byteLength / 4);
}
