// f32 → storage-format encoders for the GGUF writer, bit-compatible with ggml's reference paths
// (ggml_compute_fp32_to_bf16, GGML_FP32_TO_FP16, quantize_row_q8_0_ref).
import { f32ToF16, type Format } from './formats.ts';
import { assert } from './io.ts';

const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

/** Round-to-nearest-even f32 → bf16 bits; NaN stays a quiet NaN (as ggml does). */
export function f32ToBf16(x: number): number {
  f32buf[0] = x;
  const u = u32buf[0];
  if ((u & 0x7fffffff) > 0x7f800000) return ((u >>> 16) | 64) & 0xffff;
  return ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16) & 0xffff;
}

/** C roundf: halves away from zero (Math.round rounds -2.5 to -2). */
function roundf(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/**
 * llama.cpp's Q8_0 quantizer, per 32 values: d = amax/127 (f32), q = roundf(x · (1/d)),
 * d stored as f16. `n` is a multiple of 32; writes n/32 · 34 bytes at dst[off].
 */
export function quantizeQ8_0(src: Float32Array, n: number, dst: Uint8Array, off: number): void {
  assert(n % 32 === 0, 'q8_0 needs whole blocks');
  for (let b = 0; b < n / 32; b++) {
    let amax = 0;
    for (let k = 0; k < 32; k++) amax = Math.max(amax, Math.abs(src[b * 32 + k]));
    const d = Math.fround(amax / 127);
    const id = d ? Math.fround(1 / d) : 0;
    const h = f32ToF16(d);
    const o = off + b * 34;
    dst[o] = h & 0xff;
    dst[o + 1] = h >> 8;
    for (let k = 0; k < 32; k++) dst[o + 2 + k] = roundf(Math.fround(src[b * 32 + k] * id)) & 0xff;
  }
}

/** Encodes `n` values into `format` at dst[off] (mxfp4 is never produced from floats here). */
export function encodeValues(format: Exclude<Format, 'mxfp4'>, src: Float32Array, n: number, dst: Uint8Array, off: number): void {
  switch (format) {
    case 'f32': {
      const dv = new DataView(dst.buffer, dst.byteOffset + off, n * 4);
      for (let i = 0; i < n; i++) dv.setFloat32(i * 4, src[i], true);
      return;
    }
    case 'f16':
    case 'bf16': {
      const enc = format === 'f16' ? f32ToF16 : f32ToBf16;
      for (let i = 0; i < n; i++) {
        const h = enc(src[i]);
        dst[off + 2 * i] = h & 0xff;
        dst[off + 2 * i + 1] = h >> 8;
      }
      return;
    }
    case 'q8_0':
      return quantizeQ8_0(src, n, dst, off);
  }
}
