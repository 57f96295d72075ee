// Which kernel multiplies which weight format, per precision (ggml's type_traits_cpu, one row per
// format). `q8` activations are quantised by quantize_q8 first (assembly/quant.ts).
import type { Format } from '../../model/formats.ts';
import type { Precision } from '../options.ts';

export interface MatmulKernel {
  name: `matmul_${string}`;
  act: 'f32' | 'q8';
  /** Variant for batches of ≥ 2 tokens taking a per-thread scratch (batchedScratch bytes) before r0. */
  batched?: `matmul_${string}`;
}

/** Per-thread scratch of a batched kernel for rows of nIn values and up to B tokens. */
export function batchedScratch(nIn: number, B: number): number {
  return 8 * nIn + (nIn / 32) * 16 + 16 * B;
}

export const MATMUL: Record<Format, Record<Precision, MatmulKernel>> = {
  f32: { exact: { name: 'matmul_f32_f32', act: 'f32' }, fast: { name: 'matmul_f32_f32', act: 'f32' } },
  f16: { exact: { name: 'matmul_f16_f32', act: 'f32' }, fast: { name: 'matmul_f16_f32', act: 'f32' } },
  bf16: { exact: { name: 'matmul_bf16_f32', act: 'f32' }, fast: { name: 'matmul_bf16_f32', act: 'f32' } },
  q8_0: { exact: { name: 'matmul_q8_0_f32', act: 'f32' }, fast: { name: 'matmul_q8_0_q8', act: 'q8', batched: 'matmul_q8_0_q8_batched' } },
  mxfp4: { exact: { name: 'matmul_mxfp4_f32', act: 'f32' }, fast: { name: 'matmul_mxfp4_q8', act: 'q8', batched: 'matmul_mxfp4_q8_batched' } },
};

/** Bytes of one activation row of n values in the kernel's activation format. */
export function actRowBytes(act: 'f32' | 'q8', n: number): number {
  return act === 'f32' ? n * 4 : (n / 32) * 36;
}
