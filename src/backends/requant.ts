// Dense Q8_0 at load (EngineOptions.denseQ8), for every backend: which float matrices (bf16/f16/
// f32) are re-quantised, and the re-quantisation itself, row range by row range (a bounded
// staging buffer, never the whole tensor twice), with the quantiser the GGUF writer uses
// (src/model/quantize.ts, llama.cpp's quantize_row_q8_0_ref) — so a checkpoint loaded with it
// computes exactly what a Q8_0 GGUF of the same weights computes, on the CPU and on the GPU.
import { FORMATS, rowBytes } from '../model/formats.ts';
import { quantizeQ8_0 } from '../model/quantize.ts';
import type { WeightRecord } from '../model/types.ts';

const STAGING_BYTES = 8 << 20;

/**
 * Whether `denseQ8` re-quantises this matrix: float formats with whole 32-value blocks whose rows
 * the record can produce by range. As llama.cpp's Q8_0 recipe, the router stays as stored (a
 * rounding flip there changes which experts run).
 */
export function requantizesToQ8(rec: WeightRecord, denseQ8: boolean): boolean {
  const float = rec.format === 'bf16' || rec.format === 'f16' || rec.format === 'f32';
  return denseQ8 && float && !rec.name.endsWith('.router') && rec.shape[rec.shape.length - 1] % 32 === 0 && rec.fillRows !== undefined;
}

/** Writes the Q8_0 canonical bytes of `rec` at dst[ptr…]; `progress` counts source bytes read. */
export function requantizeQ8(rec: WeightRecord, dst: Uint8Array, ptr: number, progress: (bytes: number) => void): void {
  const cols = rec.shape[rec.shape.length - 1];
  const rows = rec.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const rbSrc = rowBytes(rec.format, cols), rbQ = rowBytes('q8_0', cols);
  const per = Math.max(1, Math.floor(STAGING_BYTES / rbSrc));
  const staging = new Uint8Array(per * rbSrc), row = new Float32Array(cols);
  const dequant = FORMATS[rec.format].dequant;
  for (let r0 = 0; r0 < rows; r0 += per) {
    const n = Math.min(per, rows - r0);
    rec.fillRows!(staging.subarray(0, n * rbSrc), r0, r0 + n);
    for (let i = 0; i < n; i++) {
      dequant(staging.subarray(i * rbSrc, (i + 1) * rbSrc), row, cols);
      quantizeQ8_0(row, cols, dst, ptr + (r0 + i) * rbQ);
    }
    progress(n * rbSrc);
  }
}
