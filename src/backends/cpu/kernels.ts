// Which kernel multiplies which weight format, per precision (ggml's type_traits_cpu, one row per
// format), and the kernel variants that replace some of them. `q8` activations are quantised by
// quantize_q8 first (assembly/quant.ts).
import type { Format } from '../../model/formats.ts';
import type { Precision } from '../options.ts';
import type { Build } from './module.ts';
import type { Layout } from './repack.ts';

export interface MatmulKernel {
  name: `matmul_${string}`;
  act: 'f32' | 'q8';
  /** Variant for batches of ≥ 2 tokens taking a per-thread scratch (batchedScratch bytes) before r0. */
  batched?: `matmul_${string}`;
  /** Rows a kernel call handles together: thread shares start on multiples of it. */
  rows: number;
  /** The weight layout it reads (repack.ts); the backend repacks each matrix to it at load. */
  layout: Layout;
}

/**
 * Per-thread scratch of a batched kernel for rows of nIn values and up to B tokens: an MXFP4
 * kernel's decoded group of eight rows (baseline: i16 codes, 16·nIn bytes; relaxed: offset bytes
 * and f32 row scales, 9·nIn), or the Q8_0 kernel's splatted activation pairs of up to `q8Pass`
 * tokens (8·nIn bytes each; the module's Q8_PASS export).
 */
export function batchedScratch(nIn: number, B: number, q8Pass: number): number {
  return Math.max(16 * nIn, 8 * nIn * Math.min(B, q8Pass));
}

export const MATMUL: Record<Format, Record<Precision, MatmulKernel>> = {
  f32: { exact: { name: 'matmul_f32_f32', act: 'f32', rows: 4, layout: 'rows' }, fast: { name: 'matmul_f32_f32', act: 'f32', rows: 4, layout: 'rows' } },
  f16: { exact: { name: 'matmul_f16_f32', act: 'f32', rows: 4, layout: 'rows' }, fast: { name: 'matmul_f16_f32', act: 'f32', rows: 4, layout: 'rows' } },
  bf16: { exact: { name: 'matmul_bf16_f32', act: 'f32', rows: 4, layout: 'rows' }, fast: { name: 'matmul_bf16_f32', act: 'f32', rows: 4, layout: 'rows' } },
  q8_0: {
    exact: { name: 'matmul_q8_0_f32', act: 'f32', rows: 4, layout: 'rows' },
    fast: { name: 'matmul_q8_0_q8', act: 'q8', batched: 'matmul_q8_0_q8_batched', rows: 4, layout: 'r4' },
  },
  mxfp4: {
    exact: { name: 'matmul_mxfp4_f32', act: 'f32', rows: 8, layout: 'r8' },
    fast: { name: 'matmul_mxfp4_q8', act: 'q8', batched: 'matmul_mxfp4_q8_batched', rows: 8, layout: 'r8' },
  },
};

/**
 * Kernel variants: which build of assembly/ runs, and the fast-precision kernels it swaps in per
 * format (the rest of MATMUL stays). Every swapped kernel has the same scalar twin as the one it
 * replaces. variants.ts picks one (EngineOptions.kernels, OSS_EDGE_KERNELS, or a start-up probe).
 * Q8_0's relaxed kernel moves the weights' signs onto the activations (|w| the 7-bit operand) on
 * a layout of its own (r4s, assembly/q8_0_r4s.ts). It ran slower than widening on the r4 layout
 * on an AMD EPYC with AVX2 only (6.4 vs 7.2 GB/s, one thread, Bun 1.4.5, an earlier form) and
 * 12–17 % faster on a Zen 5 with AVX-512 (best µs per call of a 512×2880 matrix, one thread, Bun
 * 1.4.5, same process), so each relaxed MXFP4 kernel comes with either Q8_0 kernel (`-r4`: the
 * widening one) and the start-up probe (variants.ts) keeps the fastest pair.
 */
type Swap = Pick<MatmulKernel, 'name' | 'batched' | 'layout'>;
const RDOT: Swap = { name: 'matmul_mxfp4_q8_rdot', batched: 'matmul_mxfp4_q8_rdot16_batched', layout: 'r8' };
const RDOT16: Swap = { name: 'matmul_mxfp4_q8_rdot16', batched: 'matmul_mxfp4_q8_rdot16_batched', layout: 'r8' };
const Q8_SIGN: Swap = { name: 'matmul_q8_0_q8_sign', layout: 'r4s' };

export const VARIANTS: Record<string, { build: Build; fast: Partial<Record<Format, Swap>> }> = {
  baseline: { build: 'baseline', fast: {} },
  relaxed: { build: 'relaxed', fast: { mxfp4: RDOT, q8_0: Q8_SIGN } },
  relaxed16: { build: 'relaxed', fast: { mxfp4: RDOT16, q8_0: Q8_SIGN } },
  'relaxed-r4': { build: 'relaxed', fast: { mxfp4: RDOT } },
  'relaxed16-r4': { build: 'relaxed', fast: { mxfp4: RDOT16 } },
};

/**
 * The kernel for a format and precision under a variant; with `layout`, the kernel for a matrix
 * held in that layout (one its variant's repack refused falls back to the base kernel's).
 */
export function matmulKernel(format: Format, precision: Precision, variant: string, layout?: Layout): MatmulKernel {
  const base = MATMUL[format][precision];
  const swap = precision === 'fast' ? VARIANTS[variant].fast[format] : undefined;
  // a swapped kernel brings its own batched form or none
  const k = swap ? { ...base, batched: undefined, ...swap } : base;
  if (layout === undefined || layout === k.layout) return k;
  if (layout !== base.layout) throw new Error(`no ${format} ${precision} kernel reads the ${layout} layout`);
  return base;
}

/** Bytes of q8 activations per 32 values: the module's Q8_BLOCK (test/kernels-ops.test.ts holds them equal). */
export const Q8_BLOCK_BYTES = 48;

/** Bytes of one activation row of n values in the kernel's activation format. */
export function actRowBytes(act: 'f32' | 'q8', n: number): number {
  return act === 'f32' ? n * 4 : (n / 32) * Q8_BLOCK_BYTES;
}
