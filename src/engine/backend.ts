// The seam between the forward pass and the hardware (DESIGN.md "Backend interface"). The forward
// pass calls these operations on opaque handles; each backend keeps its own buffers and kernels.
// Activations are f32 [rows, cols] buffers; a batch of B tokens uses the first B rows, so prefill
// and decode share one path (decode = a batch of one).
import type { Checkpoint, ModelConfig } from '../model/types.ts';

export type Precision = 'exact' | 'fast';

/** A weight tensor placed in backend memory (opaque to the engine). */
export interface Tensor { readonly name: string; readonly shape: readonly number[] }
/** An activation buffer of `rows` × `cols` f32, allocated once at load. */
export interface Buf { readonly rows: number; readonly cols: number }
/** Per-layer K/V for one session; sliding layers may hold only their window (spec §4.5.6). */
export interface KvCache { readonly context: number }

/** Bytes per cached K or V value: f32 for `exact`, f16 for `fast` (llama.cpp's default cache type). */
export function kvValueBytes(precision: Precision): number {
  return precision === 'fast' ? 2 : 4;
}

/** Extra ring slots beyond the window so a session can step back this far (a chat turn's reply). */
export const REWIND_SLACK = 512;

/**
 * Slots of a sliding layer's K/V ring: the window, plus room for a whole batch written before it
 * attends, plus REWIND_SLACK so a rewind within that distance still finds its keys. Every backend
 * sizes its rings with this, and Session.rewind trusts it.
 */
export function slidingCapacity(window: number, context: number, maxBatch: number): number {
  return Math.min(context, window + Math.max(maxBatch - 1, REWIND_SLACK));
}

export interface LoadProgress { bytes: number; totalBytes: number; tensors: number; totalTensors: number; name: string }

export interface BackendOptions {
  precision: Precision;
  /** Largest batch of tokens one forward call may carry. */
  maxBatch: number;
  /** Threads for the CPU backend (the calling thread included). Default: 1. */
  threads?: number;
  /**
   * Re-quantise float (bf16/f16/f32) weight matrices to Q8_0 at load, as llama.cpp's Q8_0 files
   * hold them: half the bytes per token of a bf16 checkpoint, at Q8_0's rounding error.
   */
  denseQ8?: boolean;
  /** Largest weight arena in bytes (CPU; default 4 GiB). Tests force it small. */
  arenaBytes?: number;
  progress?: (p: LoadProgress) => void;
}

export interface Backend {
  readonly name: string;
  /** Copies every tensor of the checkpoint into backend memory, once. */
  upload(ckpt: Checkpoint): Promise<Map<string, Tensor>>;
  /** Activation buffer (load time only). */
  buffer(rows: number, cols: number): Buf;
  /** K/V cache for `context` positions (load or session creation; never per token). */
  kvCache(config: ModelConfig, context: number): KvCache;

  /** out[b] = table[ids[b]] as f32. */
  embed(table: Tensor, ids: ArrayLike<number>, B: number, out: Buf): void;
  /** out = RMSNorm(x, w) (spec §4.3). */
  rmsnorm(x: Buf, w: Tensor, out: Buf, B: number, eps: number): void;
  /** out = x·Wᵀ (+ bias), W [out, in] in any storage format. */
  matmul(w: Tensor, x: Buf, out: Buf, B: number, bias?: Tensor): void;
  /** Rotate-half RoPE in place; cs [B][headDim] = cos·mscale then sin·mscale per token (spec §4.5). */
  rope(x: Buf, nHeads: number, headDim: number, cs: Float32Array, B: number): void;
  /** Stores k, v at positions pos0… then attends (sinks, GQA, causal, window > 0 = sliding). */
  attention(cache: KvCache, layer: number, q: Buf, k: Buf, v: Buf, sinks: Tensor, out: Buf,
    pos0: number, B: number, window: number): void;
  /** Router + top-k + softmax over the selected + clamped-SwiGLU experts, weighted sum (spec §4.6). */
  moe(x: Buf, w: MoeWeights, out: Buf, B: number, c: ModelConfig): void;
  /** x += y. */
  add(x: Buf, y: Buf, B: number): void;
  /** Rows [r0, r0 + n) of a buffer as a buffer (no copy). */
  view(x: Buf, r0: number, n: number): Buf;
  /**
   * Copies the first B rows out (logits, taps). Asynchronous because a GPU backend maps a buffer
   * back; every other operation only enqueues work and returns at once.
   */
  read(x: Buf, B: number): Promise<Float32Array>;
  /** What the backend holds, for logs and /v1/models. */
  describe(): { name: string; /** CPU: weight arenas */ arenas?: number; weightBytes: number; threads: number };
  release(): void;
}

export interface MoeWeights {
  router: Tensor; routerBias: Tensor;
  gateUp: Tensor; gateUpBias: Tensor; //   [E, 2I, H] interleaved, [E, 2I]
  down: Tensor; downBias: Tensor; //       [E, H, I], [E, H]
}
