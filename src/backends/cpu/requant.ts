// Fast precision: float matrices (bf16/f16/f32) re-quantised to Q8_0 at load, row range by row
// range (a bounded staging buffer, never the whole tensor twice), with the same quantiser the GGUF
// writer uses (src/model/quantize.ts, llama.cpp's quantize_row_q8_0_ref), so an HF checkpoint
// served fast reads the bytes per token of a Q8_0 GGUF.
import { FORMATS, rowBytes } from '../../model/formats.ts';
import { quantizeQ8_0 } from '../../model/quantize.ts';
import type { WeightRecord } from '../../model/types.ts';

const STAGING_BYTES = 8 << 20;

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
