// The backend operations, written once: this table is both the op half of the Backend interface
// (BackendOps is derived from it) and what the remote bridge forwards (remote/ encodes each
// argument by its kind). Adding an op = a row here + its method in each backend.
// Every op only enqueues work on its buffers and returns at once; Backend.read() is the one way
// back. Shapes below: B tokens, K experts per token, H hidden, I expert width, E experts.
import type { Buf, KvCache, Tensor } from './handles.ts';

/** How each argument kind looks to a backend. */
export interface ArgKinds {
  tensor: Tensor;
  'tensor?': Tensor | null;
  buf: Buf;
  kv: KvCache;
  int: number;
  num: number;
  /** Token ids (exactly the B of this call). */
  ids: Int32Array;
  /** Host f32 data (exactly the values the op reads). */
  f32: Float32Array;
  /** Where an expert product's input rows come from: one per token, or one per routed slot. */
  rows: 'token' | 'slot';
}
export type ArgKind = keyof ArgKinds;

export const OPS = {
  /** (table [V, H], ids [B], B, out [B, H]): out[b] = table[ids[b]] as f32 (spec §4.2). */
  embed: ['tensor', 'ids', 'int', 'buf'],
  /** (x, w [H], out, B, eps): RMSNorm (spec §4.3). */
  rmsnorm: ['buf', 'tensor', 'buf', 'int', 'num'],
  /** (w [out, in], x [B, in], out [B, out], B, bias [out] | null): out = x·Wᵀ (+ bias), any format. */
  matmul: ['tensor', 'buf', 'buf', 'int', 'tensor?'],
  /** (x, nHeads, headDim, cs [B·headDim], B): rotate-half RoPE in place; cs per token = cos·m then sin·m (spec §4.5). */
  rope: ['buf', 'int', 'int', 'f32', 'int'],
  /** (cache, layer, q, k, v, sinks, out, pos0, B, window): stores k, v at pos0… then attends (sinks, GQA, causal; window > 0 = sliding). */
  attention: ['kv', 'int', 'buf', 'buf', 'buf', 'tensor', 'buf', 'int', 'int', 'int'],
  /** (logits [B, E], ids [B, K], weights [B, K], B, K): top-K experts per token (ties: lower id), softmax over the K (spec §4.6). */
  route: ['buf', 'buf', 'buf', 'int', 'int'],
  /**
   * (w [E, out, in], x, ids [B, K], y [B·K, out], B, bias [E, out], rows): y[b·K + j] = x_row · W[e]ᵀ + bias[e],
   * e = ids[b, j]; x_row = x[b] (`token`) or x[b·K + j] (`slot`). Each expert's weights are read once for all its rows.
   */
  expertMatmul: ['tensor', 'buf', 'buf', 'buf', 'int', 'tensor', 'rows'],
  /** (gateUp [n, 2I] interleaved gate/up (spec §3.4), out [n, I], n, alpha, limit): clamped SwiGLU (spec §4.6). */
  swiglu: ['buf', 'buf', 'int', 'num', 'num'],
  /** (y [B·K, H], ids [B, K], weights [B, K], out [B, H], B, K): out[b] = Σ_j weights[b, j] · y[b·K + j]. */
  combine: ['buf', 'buf', 'buf', 'buf', 'int', 'int'],
  /** (x, y, B): x += y. */
  add: ['buf', 'buf', 'int'],
  /** (x [B, cols], out [B, 1], B, n): out[b] = the index of the largest of x[b][0 … n) (lowest on ties), as f32. */
  argmax: ['buf', 'buf', 'int', 'int'],
} as const satisfies Record<string, readonly ArgKind[]>;

export type OpName = keyof typeof OPS;
type ArgsOf<K extends readonly ArgKind[]> = { -readonly [I in keyof K]: ArgKinds[K[I]] };
/** The op methods every Backend has, one per row of OPS. */
export type BackendOps = { [N in OpName]: (...args: ArgsOf<(typeof OPS)[N]>) => void };
