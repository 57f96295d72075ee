// The seam between the forward pass and the hardware (DESIGN.md "Backend interface"). The forward
// pass calls the operations of ops.ts on opaque handles; each backend keeps its own buffers and
// kernels. Activations are f32 [rows, cols] buffers; a batch of B tokens uses the first B rows, so
// prefill and decode share one path (decode = a batch of one).
// What is checked where: token ids and positions are hostile input checked once, by the engine's
// Session; a backend trusts its caller (the forward pass) and asserts at most.
import type { Checkpoint, ModelConfig, WeightRecord } from '../model/types.ts';
import type { Buf, KvCache, KvSnapshot, Tensor } from './handles.ts';
import type { BackendOps } from './ops.ts';
import type { EngineOptions } from './options.ts';

export type { Buf, KvCache, KvSnapshot, Tensor };

export interface LoadProgress { bytes: number; totalBytes: number; tensors: number; totalTensors: number; name: string }

/** Extra ring slots beyond the window so a session can step back this far (a chat turn's reply). */
export const REWIND_SLACK = 512;

/** Backend.read's `into`: the rows copied there and a view of them returned, else the rows themselves. */
export function copyInto(rows: Float32Array, into?: Float32Array): Float32Array {
  if (!into) return rows;
  into.set(rows);
  return into.subarray(0, rows.length);
}

/**
 * Slots of a sliding layer's K/V ring: the window, plus room for a whole batch written before it
 * attends, plus REWIND_SLACK so a rewind within that distance still finds its keys. Every backend
 * sizes its rings with this, and Session.rewind trusts it.
 */
export function slidingCapacity(window: number, context: number, maxBatch: number): number {
  return Math.min(context, window + Math.max(maxBatch - 1, REWIND_SLACK));
}

export interface Backend extends BackendOps {
  readonly name: string;

  // ---- load (engine/upload.ts drives these, once per model) ----
  /** Sees the whole checkpoint before any tensor is placed (the CPU plans its arenas from it). */
  prepare(ckpt: Checkpoint): Promise<void>;
  /** Places one weight matrix ([rows, cols], or a stack [E, rows, cols]) from its record. */
  matrix(rec: WeightRecord, progress: (bytes: number) => void): Promise<Tensor>;
  /** Places one vector weight (norm, bias, sinks), already decoded to f32. */
  vector(name: string, shape: readonly number[], data: Float32Array): Tensor;
  /** After the last tensor. */
  finish(): Promise<void>;

  /** Activation buffer (load time only). */
  buffer(rows: number, cols: number): Buf;
  /** K/V cache for `context` positions (load or session creation; never per token). */
  kvCache(config: ModelConfig, context: number): KvCache;
  /** Rows [r0, r0 + n) of a buffer as a buffer (no copy). */
  view(x: Buf, r0: number, n: number): Buf;
  /**
   * Copies the K/V of positions [0, length) of a cache aside (a sliding layer's ring as far as it
   * is filled), in backend memory outside the caches. Ordered with the ops: it sees every op before it.
   */
  saveKv(cache: KvCache, length: number): KvSnapshot;
  /** Copies a snapshot back into a cache of the same context (its positions [0, length)). */
  restoreKv(snapshot: KvSnapshot, cache: KvCache): void;
  /** Frees a snapshot. */
  dropKv(snapshot: KvSnapshot): void;
  /**
   * Copies the first B rows out (logits, taps): into `into` when given (≥ B rows; the result is a
   * view of it), else a new array. Asynchronous because a GPU backend maps a buffer back; every
   * operation of ops.ts only enqueues work and returns at once.
   */
  read(x: Buf, B: number, into?: Float32Array): Promise<Float32Array>;
  /** What the backend holds, for logs and /v1/models. */
  describe(): { name: string; /** CPU: weight arenas */ arenas?: number; weightBytes: number; threads: number; [k: string]: unknown };
  release(): void;
}

/** Makes a backend from the one options type (Engine.load takes it: there is no default). */
export type BackendFactory = (o: EngineOptions) => Backend;

/**
 * What a runtime probe found for a GPU backend: adapters (best first), or why there are none.
 * Implemented by webgpu/local.ts (in-process) and remote/remote-backend.ts (a Deno child);
 * src/boot/backend-choice.ts decides between them and the CPU.
 */
/** What selection and /v1/models need to know about an adapter (plain data: crosses the pipe). */
export interface AdapterInfo {
  description: string;
  vendor: string;
  architecture: string;
  /** True for a software rasteriser (lavapipe/llvmpipe, SwiftShader, WARP). */
  isFallbackAdapter: boolean;
  features: string[];
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}
export interface Probe {
  adapters: AdapterInfo[];
  why: string;
  /** Opens a backend factory on adapters[i] (the probe keeps what it needs to do so). */
  open(i: number): Promise<BackendFactory>;
  dispose(): void;
}
