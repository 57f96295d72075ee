// The one options type of an engine, with one default per field. Entry points (serve, eval, the
// bench, tests) fill it once with engineOptions(); everything below passes it on untouched.
import { availableParallelism } from 'node:os';

export type Precision = 'exact' | 'fast';
export type BackendChoice = 'auto' | 'cpu' | 'webgpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'cpu', 'webgpu'];

/** Most CPU threads an engine runs (the CPU pool's control block holds a flag per thread). */
export const MAX_THREADS = 64;

export interface EngineOptions {
  /** Which backend runs the model (src/boot/backend-choice.ts decides `auto`). */
  backend: BackendChoice;
  /** What each precision means on each backend: PRECISIONS below. */
  precision: Precision;
  /** CPU threads, the calling one included (1 … MAX_THREADS; by default every core, at most that). */
  threads: number;
  /** Largest batch of tokens one forward call carries (prompts are split into batches of it). */
  maxBatch: number;
  /** Positions of a session (capped by the model's own maximum). */
  context: number;
  /**
   * Re-quantise float (bf16/f16/f32) weight matrices to Q8_0 at load, as llama.cpp's Q8_0 files
   * hold them: half the bytes per token of a bf16 checkpoint, at Q8_0's rounding error. Both
   * backends (src/backends/requant.ts): the same bytes as a Q8_0 GGUF of the same weights.
   */
  denseQ8: boolean;
  /**
   * Largest CPU weight arena / GPU weight buffer in bytes, below each backend's own limit (4 GiB of
   * wasm memory; the adapter's binding size). Tests force it small to exercise the splitting.
   */
  arenaBytes: number;
  /**
   * CPU kernel variant (src/backends/cpu/kernels.ts VARIANTS): `auto` takes OSS_EDGE_KERNELS when
   * set, else the fastest by a start-up probe. Every variant computes the same integers.
   */
  kernels?: string;
}

export const ENGINE_DEFAULTS: Readonly<EngineOptions> = {
  backend: 'auto', precision: 'fast', threads: Math.min(availableParallelism(), MAX_THREADS), maxBatch: 64, context: 4096, denseQ8: false,
  arenaBytes: Infinity, kernels: 'auto',
};

/** The defaults, overridden by the fields `o` sets (undefined fields keep their default). */
export function engineOptions(o: Partial<EngineOptions> = {}): EngineOptions {
  const out = { ...ENGINE_DEFAULTS };
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** What each precision means on each backend: the one description (`--help` and the README show it). */
export const PRECISIONS: Record<Precision, { cpu: string; webgpu: string }> = {
  fast: {
    cpu: 'activations quantised to 8 bits per block of 32 in the MXFP4/Q8_0 products (llama.cpp\'s Q8_0 rounding), f16 K/V cache',
    webgpu: 'f32 activations (weights decoded exactly), f16 K/V cache',
  },
  exact: {
    cpu: 'f32 activations, weights decoded exactly, f32 K/V cache (matches the float64 reference to ~1e-5)',
    webgpu: 'f32 activations, weights decoded exactly, f32 K/V cache',
  },
};

/** Bytes per cached K or V value: f32 for `exact`, f16 for `fast` (llama.cpp's default cache type). */
export function kvValueBytes(precision: Precision): number {
  return precision === 'fast' ? 2 : 4;
}

/** `--precision` help lines, from PRECISIONS. */
export function precisionHelp(indent: string): string {
  return (Object.keys(PRECISIONS) as Precision[]).map((p) =>
    `${indent}${p}: CPU ${PRECISIONS[p].cpu}; WebGPU ${PRECISIONS[p].webgpu}`).join('\n');
}
