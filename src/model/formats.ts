// Weight storage formats: one traits row each, with the block layout and a reference dequant.
// Adding a format = one row here + its kernels in assembly/ (keyed by the same name) + a loader
// mapping. Every layout below is the *canonical in-memory* layout the backends receive (spec §3, §7.1).

export type Format = 'f32' | 'f16' | 'bf16' | 'q8_0' | 'mxfp4';

export interface FormatTraits {
  /** Logical values per block (the row length must be a multiple of it). */
  blockElems: number;
  /** Bytes per block. */
  blockBytes: number;
  /** GGML type id (spec §7.1). */
  ggmlType: number;
  /** Reference dequantisation of `n` values (n a multiple of blockElems) starting at src[0]. */
  dequant(src: Uint8Array, dst: Float32Array, n: number): void;
}

// E2M1 values (spec §3.1), indexed by the 4-bit code.
export const FP4_VALUES = Float32Array.of(0, 0.5, 1, 1.5, 2, 3, 4, 6, -0, -0.5, -1, -1.5, -2, -3, -4, -6);

const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

export function bf16ToF32(h: number): number {
  u32buf[0] = h << 16;
  return f32buf[0];
}

export function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Round-to-nearest-even f32 → f16 bits (what GGML_FP32_TO_FP16 does on x86 F16C). */
export function f32ToF16(x: number): number {
  f32buf[0] = x;
  const b = u32buf[0];
  const sign = (b >>> 16) & 0x8000;
  const e = (b >>> 23) & 0xff;
  let m = b & 0x7fffff;
  if (e === 0xff) return sign | 0x7c00 | (m ? 0x200 : 0);
  let exp = e - 127 + 15;
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    m |= 0x800000;
    const shift = 14 - exp;
    const half = 1 << (shift - 1);
    let r = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    if (rem > half || (rem === half && (r & 1))) r++;
    return sign | r;
  }
  let r = (exp << 10) | (m >>> 13);
  const rem = m & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (r & 1))) r++;
  return sign | r;
}

/** E8M0 scale byte → 2^(e−127) (spec §3.2; e = 255 is NaN and rejected at load). */
export function e8m0ToF32(e: number): number {
  return 2 ** (e - 127);
}

export const FORMATS: Record<Format, FormatTraits> = {
  // f32: 4 bytes per value, little-endian.
  f32: {
    blockElems: 1, blockBytes: 4, ggmlType: 0,
    dequant(src, dst, n) {
      const dv = new DataView(src.buffer, src.byteOffset, n * 4);
      for (let i = 0; i < n; i++) dst[i] = dv.getFloat32(i * 4, true);
    },
  },
  // f16: IEEE half, 2 bytes per value.
  f16: {
    blockElems: 1, blockBytes: 2, ggmlType: 1,
    dequant(src, dst, n) {
      for (let i = 0; i < n; i++) dst[i] = f16ToF32(src[2 * i] | (src[2 * i + 1] << 8));
    },
  },
  // bf16: the high 16 bits of an f32 (spec §2.2).
  bf16: {
    blockElems: 1, blockBytes: 2, ggmlType: 30,
    dequant(src, dst, n) {
      // Bits straight into the f32 words (no per-value round trip through a scratch float).
      const d32 = new Uint32Array(dst.buffer, dst.byteOffset, n);
      for (let i = 0; i < n; i++) d32[i] = ((src[2 * i] | (src[2 * i + 1] << 8)) << 16) >>> 0;
    },
  },
  // q8_0 (GGML block_q8_0, 34 bytes / 32 values):
  //   +0  f16 d
  //   +2  i8 q[32]            value[k] = d · q[k]
  q8_0: {
    blockElems: 32, blockBytes: 34, ggmlType: 8,
    dequant(src, dst, n) {
      for (let b = 0; b < n / 32; b++) {
        const o = b * 34;
        const d = f16ToF32(src[o] | (src[o + 1] << 8));
        for (let k = 0; k < 32; k++) dst[b * 32 + k] = d * ((src[o + 2 + k] << 24) >> 24);
      }
    },
  },
  // mxfp4 (GGML block_mxfp4, 17 bytes / 32 values; spec §3.6):
  //   +0  u8 e                E8M0 scale, 2^(e−127)
  //   +1  u8 qs[16]           qs[j] low nibble = element j, high nibble = element j+16
  //   value[k] = FP4[code k] · 2^(e−127)
  // (The HF checkpoint's nibble order — low = 2j, high = 2j+1 — is converted at load: §3.3.)
  mxfp4: {
    blockElems: 32, blockBytes: 17, ggmlType: 39,
    dequant(src, dst, n) {
      for (let b = 0; b < n / 32; b++) {
        const o = b * 17;
        const s = e8m0ToF32(src[o]);
        for (let j = 0; j < 16; j++) {
          const q = src[o + 1 + j];
          dst[b * 32 + j] = FP4_VALUES[q & 15] * s;
          dst[b * 32 + j + 16] = FP4_VALUES[q >> 4] * s;
        }
      }
    },
  },
};

/** Bytes of one row of `cols` values in `format`; throws if cols is not a whole number of blocks. */
export function rowBytes(format: Format, cols: number): number {
  const t = FORMATS[format];
  if (cols % t.blockElems !== 0) throw new Error(`${format} rows need a multiple of ${t.blockElems} values, got ${cols}`);
  return (cols / t.blockElems) * t.blockBytes;
}

/** Bytes of a tensor of logical row-major `shape` (last axis = row) in `format`. */
export function tensorBytes(format: Format, shape: readonly number[]): number {
  if (shape.length === 0) return FORMATS[format].blockBytes;
  const cols = shape[shape.length - 1];
  let rows = 1;
  for (let i = 0; i < shape.length - 1; i++) rows *= shape[i];
  return rows * rowBytes(format, cols);
}

/** HF MXFP4 block (16 bytes, low nibble = element 2j) → GGML qs order (spec §3.6). */
export function hfBlockToGgml(h: Uint8Array, hOff: number, q: Uint8Array, qOff: number): void {
  for (let j = 0; j < 8; j++) {
    const a = h[hOff + j];
    const b = h[hOff + j + 8];
    q[qOff + 2 * j] = (a & 0x0f) | ((b & 0x0f) << 4);
    q[qOff + 2 * j + 1] = (a >> 4) | (b & 0xf0);
  }
}
