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
 * Q8_0 has no relaxed kernel: its weights and the q8 activations both span [−127, 127], and the
 * relaxed dot is defined only with one operand in [0, 127]; splitting an operand into two 7-bit
 * halves costs more instructions than the extend + i32x4.dot_i16x8_s path it would replace, and
 * moving the weights' signs onto the activations (|w| the 7-bit operand) ran slower than widening
 * on the r4 layout (6.4 vs 7.2 GB/s, one thread, AMD EPYC AVX2 only, Bun 1.4.5).
 */
export const VARIANTS: Record<string, { build: Build; fast: Partial<Record<Format, Pick<MatmulKernel, 'name' | 'batched'>>> }> = {
  baseline: { build: 'baseline', fast: {} },
  relaxed: { build: 'relaxed', fast: { mxfp4: { name: 'matmul_mxfp4_q8_rdot', batched: 'matmul_mxfp4_q8_rdot_batched' } } },
  relaxed16: { build: 'relaxed', fast: { mxfp4: { name: 'matmul_mxfp4_q8_rdot16', batched: 'matmul_mxfp4_q8_rdot16_batched' } } },
};

/** The kernel for a format and precision under a variant. */
export function matmulKernel(format: Format, precision: Precision, variant: string): MatmulKernel {
  const base = MATMUL[format][precision];
  const swap = precision === 'fast' ? VARIANTS[variant].fast[format] : undefined;
  return swap ? { ...base, ...swap } : base;
}

/** Bytes of q8 activations per 32 values: the module's Q8_BLOCK (test/kernels-ops.test.ts holds them equal). */
export const Q8_BLOCK_BYTES = 48;

/** Bytes of one activation row of n values in the kernel's activation format. */
export function actRowBytes(act: 'f32' | 'q8', n: number): number {
  return act === 'f32' ? n * 4 : (n / 32) * Q8_BLOCK_BYTES;
}
