// MXFP4 matrix products (spec §3) on the CPU layout "mxfp4 r8", repacked once at load from the
// canonical GGML blocks (src/backends/cpu/repack.ts). Rows come in groups of eight (the last
// group zero-padded), G = ceil(rows/8) groups, nb = cols/32 blocks per row:
//
//   codes   [G][nb][4 j][2 h][4 i][4 t] u8   byte = canonical qs[4j+t] of row 8k+4h+i
//                                            (low nibble: element 4j+t, high: element 16+4j+t)
//   scales  [G][nb][8] u8                    E8M0 exponents of the eight rows (2^(e−127))
//
// Why: each 16-byte code vector holds four bytes of four rows, so a dot product of it with the
// four activation bytes it pairs with, broadcast to every lane (v128.load32_splat), leaves one
// row per i32 lane: no horizontal sums per block, and the activations are loaded once for eight
// rows. Eight rows are eight memory streams (the prefetch wasm lacks), code loads never straddle
// a cache line, and the eight scales side by side make the per-block scale work two vector ops.
// Codes decode through the doubled E2M1 table with one i8x16.swizzle per 16 bytes; the scale is
// halved to compensate (ggml's E8M0_TO_FP32_HALF), so products stay exact integers until one
// multiply. mxfp4_rdot.ts (the relaxed-SIMD build) reads the same layout.
import { e8m0, Q8_BLOCK } from './common';
import { CODES, SCALE_MIN, SCALE_STEP, group_codes, group_scales, scale_add, scale_bytes, scales_hi, scales_lo, store_rows8 } from './r8';

// The doubled E2M1 table and the nibble mask, in the data segment, loaded into locals once per
// call (a v128.const inside the loop is rebuilt by the engines at every use).
const LUT2X = memory.data<i8>([0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12]);
const NIBBLE = memory.data<u8>([15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15]);

// ---- fast: q8 activations (quant.ts: i8 qs[n], f32 d[n/32], i32 Σqs[n/32] per row) ----------------
// Baseline (SIMD128): each code vector decodes to i8 (one swizzle per nibble half); its low half
// widened to i16 holds rows i, i+1 (four values each) against the four activations widened and
// repeated twice, so i32x4.dot_i16x8_s leaves [row i pair, row i pair, row i+1 pair, row i+1 pair];
// the pairs are added once per block (pair_rows).

/** [a0+a1, a2+a3, b0+b1, b2+b3]: the per-row sums from two pair-sum vectors. */
@inline function pair_rows(a: v128, b: v128): v128 {
  return i32x4.add(v128.shuffle<i32>(a, b, 0, 2, 4, 6), v128.shuffle<i32>(a, b, 1, 3, 5, 7));
}

/** Four activations (i8 at p) widened to i16 and repeated: [x0 x1 x2 x3 x0 x1 x2 x3]. */
@inline function x4_i16(p: usize): v128 { return i16x8.extend_low_i8x16_s(v128.load32_splat(p)); }

/** Token rows [b0, b1) of the q8 product for the group at codes wg, scales sg. */
@inline function group_q8(wg: usize, sg: usize, x: usize, y: usize, nb: i32, n_out: i32, b0: i32, b1: i32, r: i32, rows: i32): void {
  const mask = v128.load(NIBBLE), lut = v128.load(LUT2X), tiny = v128.load(SCALE_MIN), step = v128.load(SCALE_STEP);
  for (let b = b0; b < b1; b++) {
    const xq = x + <usize>b * nb * Q8_BLOCK, xd = xq + <usize>nb * 32;
    let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
    for (let g = 0; g < nb; g++) {
      const blk = wg + <usize>g * CODES, xb = xq + (<usize>g << 5);
      let a01 = i32x4.splat(0), a23 = i32x4.splat(0), a45 = i32x4.splat(0), a67 = i32x4.splat(0);
      for (let j: usize = 0; j < 4; j++) {
        const xl = x4_i16(xb + (j << 2)), xh = x4_i16(xb + 16 + (j << 2));
        const c0 = v128.load(blk + (j << 5)), c1 = v128.load(blk + (j << 5), 16);
        const l0 = i8x16.swizzle(lut, v128.and(c0, mask)), h0 = i8x16.swizzle(lut, v128.and(i16x8.shr_u(c0, 4), mask));
        const l1 = i8x16.swizzle(lut, v128.and(c1, mask)), h1 = i8x16.swizzle(lut, v128.and(i16x8.shr_u(c1, 4), mask));
        a01 = i32x4.add(a01, i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(l0), xl), i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(h0), xh)));
        a23 = i32x4.add(a23, i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(l0), xl), i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(h0), xh)));
        a45 = i32x4.add(a45, i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(l1), xl), i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(h1), xh)));
        a67 = i32x4.add(a67, i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(l1), xl), i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(h1), xh)));
      }
      const e = scale_bytes(sg + (<usize>g << 3)), dd = f32x4.splat(load<f32>(xd + (<usize>g << 2)) * 0.5);
      acc0 = scale_add(acc0, pair_rows(a01, a23), scales_lo(e, tiny, step), dd);
      acc1 = scale_add(acc1, pair_rows(a45, a67), scales_hi(e, tiny, step), dd);
    }
    store_rows8(y + ((<usize>b * n_out + r) << 2), acc0, acc1, rows);
  }
}

/** y[b][r] for rows [r0, r1) (r0 a multiple of 8) of an r8-layout matrix × q8 activations. */
export function matmul_mxfp4_q8(w: usize, x: usize, y: usize, n_in: i32, n_out: i32, B: i32, r0: i32, r1: i32): void {
  const nb = n_in >> 5;
  for (let r = r0; r < r1; r += 8) group_q8(group_codes(w, nb, r), group_scales(w, nb, n_out, r), x, y, nb, n_out, 0, B, r, min(8, r1 - r));
}

/**
 * Prefill form of matmul_mxfp4_q8 for B ≥ 2: each group of eight rows is decoded to i16 once into
 * `scratch` (nb·512 bytes, kernels.ts batchedScratch) and reused by every token. The same integer
 * sums and the same float steps per token as the one-token kernel: bit-identical.
 */
export function matmul_mxfp4_q8_batched(w: usize, x: usize, y: usize, n_in: i32, n_out: i32, B: i32, scratch: usize, r0: i32, r1: i32): void {
  const nb = n_in >> 5, mask = v128.load(NIBBLE), lut = v128.load(LUT2X), tiny = v128.load(SCALE_MIN), step = v128.load(SCALE_STEP);
  for (let r = r0; r < r1; r += 8) {
    const wg = group_codes(w, nb, r), sg = group_scales(w, nb, n_out, r), rows = min(8, r1 - r);
    for (let g = 0; g < nb; g++) for (let v: usize = 0; v < 8; v++) {
      const c = v128.load(wg + <usize>g * CODES + (v << 4)), o = scratch + (<usize>g << 9) + (v << 6);
      const l = i8x16.swizzle(lut, v128.and(c, mask)), h = i8x16.swizzle(lut, v128.and(i16x8.shr_u(c, 4), mask));
      v128.store(o, i16x8.extend_low_i8x16_s(l)); v128.store(o, i16x8.extend_high_i8x16_s(l), 16);
      v128.store(o, i16x8.extend_low_i8x16_s(h), 32); v128.store(o, i16x8.extend_high_i8x16_s(h), 48);
    }
    for (let b = 0; b < B; b++) {
      const xq = x + <usize>b * nb * Q8_BLOCK, xd = xq + <usize>nb * 32;
      let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
      for (let g = 0; g < nb; g++) {
        const d = scratch + (<usize>g << 9), xb = xq + (<usize>g << 5);
        let a01 = i32x4.splat(0), a23 = i32x4.splat(0), a45 = i32x4.splat(0), a67 = i32x4.splat(0);
        for (let j: usize = 0; j < 4; j++) {
          const xl = x4_i16(xb + (j << 2)), xh = x4_i16(xb + 16 + (j << 2)), o = d + (j << 7);
          a01 = i32x4.add(a01, i32x4.add(i32x4.dot_i16x8_s(v128.load(o), xl), i32x4.dot_i16x8_s(v128.load(o, 32), xh)));
          a23 = i32x4.add(a23, i32x4.add(i32x4.dot_i16x8_s(v128.load(o, 16), xl), i32x4.dot_i16x8_s(v128.load(o, 48), xh)));
          a45 = i32x4.add(a45, i32x4.add(i32x4.dot_i16x8_s(v128.load(o, 64), xl), i32x4.dot_i16x8_s(v128.load(o, 96), xh)));
          a67 = i32x4.add(a67, i32x4.add(i32x4.dot_i16x8_s(v128.load(o, 80), xl), i32x4.dot_i16x8_s(v128.load(o, 112), xh)));
        }
        const e = scale_bytes(sg + (<usize>g << 3)), dd = f32x4.splat(load<f32>(xd + (<usize>g << 2)) * 0.5);
        acc0 = scale_add(acc0, pair_rows(a01, a23), scales_lo(e, tiny, step), dd);
        acc1 = scale_add(acc1, pair_rows(a45, a67), scales_hi(e, tiny, step), dd);
      }
      store_rows8(y + ((<usize>b * n_out + r) << 2), acc0, acc1, rows);
    }
  }
}

// ---- exact: f32 activations ---------------------------------------------------------------------
// A code vector's four rows each meet the same four activations: one f32x4 of x serves all four.
@inline function cvt_lo(v: v128): v128 { return f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(v)); }
@inline function cvt_hi(v: v128): v128 { return f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(v)); }

/** [Σa, Σb, Σc, Σd] of four f32x4 vectors. */
@inline function hsum4_f32(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(a, b, 2, 6, 3, 7));
  const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 1, 4, 5), v128.shuffle<f32>(ab, cd, 2, 3, 6, 7));
}

/** [row sums] of four rows (the code vectors at blk + 32j, one half of a group block) × 32 f32 at xs. */
@inline function half_f32(blk: usize, xs: usize, lut: v128, mask: v128): v128 {
  let p0 = f32x4.splat(0), p1 = f32x4.splat(0), p2 = f32x4.splat(0), p3 = f32x4.splat(0);
  for (let j: usize = 0; j < 4; j++) {
    const c = v128.load(blk + (j << 5));
    const l = i8x16.swizzle(lut, v128.and(c, mask)), hi = i8x16.swizzle(lut, v128.and(i16x8.shr_u(c, 4), mask));
    const xl = v128.load(xs + (j << 4)), xh = v128.load(xs + 64 + (j << 4));
    const ll = i16x8.extend_low_i8x16_s(l), lh = i16x8.extend_high_i8x16_s(l);
    const hl = i16x8.extend_low_i8x16_s(hi), hh = i16x8.extend_high_i8x16_s(hi);
    p0 = f32x4.add(p0, f32x4.add(f32x4.mul(cvt_lo(ll), xl), f32x4.mul(cvt_lo(hl), xh)));
    p1 = f32x4.add(p1, f32x4.add(f32x4.mul(cvt_hi(ll), xl), f32x4.mul(cvt_hi(hl), xh)));
    p2 = f32x4.add(p2, f32x4.add(f32x4.mul(cvt_lo(lh), xl), f32x4.mul(cvt_lo(hh), xh)));
    p3 = f32x4.add(p3, f32x4.add(f32x4.mul(cvt_hi(lh), xl), f32x4.mul(cvt_hi(hh), xh)));
  }
  return hsum4_f32(p0, p1, p2, p3);
}

export function matmul_mxfp4_f32(w: usize, x: usize, y: usize, n_in: i32, n_out: i32, B: i32, r0: i32, r1: i32): void {
  const nb = n_in >> 5, mask = v128.load(NIBBLE), lut = v128.load(LUT2X), tiny = v128.load(SCALE_MIN), step = v128.load(SCALE_STEP), half = f32x4.splat(0.5);
  for (let r = r0; r < r1; r += 8) {
    const wg = group_codes(w, nb, r), sg = group_scales(w, nb, n_out, r);
    for (let b = 0; b < B; b++) {
      const xr = x + <usize>b * n_in * 4;
      let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
      for (let g = 0; g < nb; g++) {
        const blk = wg + <usize>g * CODES, xs = xr + (<usize>g << 7), e = scale_bytes(sg + (<usize>g << 3));
        acc0 = f32x4.add(acc0, f32x4.mul(half_f32(blk, xs, lut, mask), f32x4.mul(scales_lo(e, tiny, step), half)));
        acc1 = f32x4.add(acc1, f32x4.mul(half_f32(blk + 16, xs, lut, mask), f32x4.mul(scales_hi(e, tiny, step), half)));
      }
      store_rows8(y + ((<usize>b * n_out + r) << 2), acc0, acc1, min(8, r1 - r));
    }
  }
}

// ---- scalar twins: the plain E2M1 table and the full scale, straight from spec §3 ----------------
@inline function fp4(code: u32): f32 {
  const m = code & 7;
  const mag: f32 = m < 4 ? <f32>m * 0.5 : (m == 4 ? 2 : (m == 5 ? 3 : (m == 6 ? 4 : 6)));
  return code & 8 ? -mag : mag;
}

/** Code of element c of row r in the r8 layout. */
@inline function code_at(w: usize, nb: i32, r: i32, c: i32): u32 {
  const j = c & 31, ri = <usize>(r & 7);
  const byte = <u32>load<u8>(group_codes(w, nb, r) + <usize>(c >> 5) * CODES + (<usize>((j & 15) >> 2) << 5) + ((ri >> 2) << 4) + ((ri & 3) << 2) + <usize>(j & 3));
  return j < 16 ? byte & 15 : byte >> 4;
}
@inline function scale_at(w: usize, nb: i32, n_out: i32, r: i32, g: i32): u32 {
  return load<u8>(group_scales(w, nb, n_out, r) + (<usize>g << 3) + <usize>(r & 7));
}

export function matmul_mxfp4_f32_ref(w: usize, x: usize, y: usize, n_in: i32, n_out: i32, B: i32, r0: i32, r1: i32): void {
  const nb = n_in >> 5;
  for (let r = r0; r < r1; r++) for (let b = 0; b < B; b++) {
    let s: f32 = 0;
    for (let c = 0; c < n_in; c++) {
      // (value · x) · scale: the scale last, so the twin stays finite over all 255 exponents
      s += fp4(code_at(w, nb, r, c)) * load<f32>(x + ((<usize>b * n_in + c) << 2)) * e8m0(scale_at(w, nb, n_out, r, c >> 5));
    }
    store<f32>(y + ((<usize>b * n_out + r) << 2), s);
  }
}

export function matmul_mxfp4_q8_ref(w: usize, x: usize, y: usize, n_in: i32, n_out: i32, B: i32, r0: i32, r1: i32): void {
  const nb = n_in >> 5;
  for (let r = r0; r < r1; r++) for (let b = 0; b < B; b++) {
    let s: f32 = 0;
    for (let g = 0; g < nb; g++) {
      const xq = x + <usize>b * nb * Q8_BLOCK;
      let si: i32 = 0;
      for (let k = 0; k < 32; k++) si += <i32>(fp4(code_at(w, nb, r, g * 32 + k)) * 2) * <i32>load<i8>(xq + (<usize>g << 5) + k);
      s += <f32>si * (e8m0(scale_at(w, nb, n_out, r, g)) * 0.5 * load<f32>(xq + <usize>nb * 32 + (<usize>g << 2)));
    }
    store<f32>(y + ((<usize>b * n_out + r) << 2), s);
  }
}

/**
 * Canonical GGML block rows → r8 layout, in place (see src/backends/cpu/repack.ts for why it is
 * safe): `rows` rows at w, scratch ≥ 8·nb·17 + G·nb·8 bytes elsewhere in this memory.
 */
export function repack_mxfp4_r8(w: usize, rows: i32, n_in: i32, scratch: usize): void {
  const nb = n_in >> 5, rb = <usize>nb * 17, G = (rows + 7) >> 3;
  const sc = scratch + 8 * rb;
  for (let k = 0; k < G; k++) {
    memory.copy(scratch, w + <usize>k * 8 * rb, 8 * rb);
    for (let g = 0; g < nb; g++) {
      const codes = w + (<usize>k * nb + g) * CODES;
      for (let i = 0; i < 8; i++) {
        const src = scratch + <usize>i * rb + <usize>g * 17;
        store<u8>(sc + (<usize>k * nb + g) * 8 + i, load<u8>(src));
        for (let j = 0; j < 4; j++) store<u32>(codes + (<usize>j << 5) + (<usize>(i >> 2) << 4) + (<usize>(i & 3) << 2), load<u32>(src + 1 + (<usize>j << 2)));
      }
    }
  }
  memory.copy(w + <usize>G * nb * CODES, sc, <usize>G * nb * 8);
}
