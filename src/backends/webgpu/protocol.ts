// The Bun → Deno pipe (remote.ts ⇄ child.ts): length-prefixed msgpack frames on the child's
// stdin/stdout. Backend operations travel in batches with the next request that needs an answer
// (upload, read, release), so a decode step costs one round trip.
//   frame  = u32 LE body length · msgpack body
//   host → child   { t: 'init' | 'upload' | 'read' | 'release', id, bid, ops: Op[], … }
//   child → host   { t: 'hello', adapter, why } once; { t: 'progress', id, p }; { t: 'done', id, result | error }
// Handles (numbers) name buffers, views, K/V caches and tensors; the host allocates all but the
// tensors' (the child numbers those at upload).
import { Packr } from 'msgpackr';
import type { LoadProgress, Precision } from '../../engine/backend.ts';
import type { ModelConfig } from '../../model/types.ts';
import type { AdapterInfo } from './device.ts';

export type MoeConfig = Pick<ModelConfig, 'numExperts' | 'expertsPerToken' | 'hiddenSize' | 'intermediateSize' | 'swigluAlpha' | 'swigluLimit'>;

/** One recorded Backend call; numbers in handle positions are handles. */
export type Op =
  | ['buffer', number, number, number] //                          h, rows, cols
  | ['kv', number, ModelConfig, number] //                         h, config, context
  | ['view', number, number, number, number] //                    h, src, r0, n
  | ['embed', number, number[], number, number] //                 table, ids, B, out
  | ['rmsnorm', number, number, number, number, number] //         x, w, out, B, eps
  | ['matmul', number, number, number, number, number | null] //   w, x, out, B, bias
  | ['rope', number, number, number, Uint8Array, number] //        x, nHeads, headDim, cs (f32 bytes), B
  | ['attention', number, number, number, number, number, number, number, number, number, number] // cache, layer, q, k, v, sinks, out, pos0, B, window
  | ['moe', number, number[], number, number, MoeConfig] //        x, [router, routerBias, gateUp, gateUpBias, down, downBias], out, B, config
  | ['add', number, number, number]; //                            x, y, B

export interface InitOptions { precision: Precision; maxBatch: number; arenaBytes?: number }

export type Request =
  | { t: 'init'; id: number; bid: number; ops: Op[]; opts: InitOptions }
  | { t: 'upload'; id: number; bid: number; ops: Op[]; path: string }
  | { t: 'read'; id: number; bid: number; ops: Op[]; buf: number; B: number }
  | { t: 'release'; id: number; bid: number; ops: Op[] };

export interface UploadResult { tensors: [string, number[], number][]; weightBytes: number }

export type Reply =
  | { t: 'hello'; adapter: AdapterInfo | null; why: string }
  | { t: 'progress'; id: number; p: LoadProgress }
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
