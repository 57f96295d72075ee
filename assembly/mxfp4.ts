// MXFP4 matrix products (spec §3) on the CPU layout "mxfp4 r4", repacked once at load from the
// canonical GGML blocks (src/backends/cpu/repack.ts). Rows come in groups of four (the last
// group zero-padded), G = ceil(rows/4) groups, nb = cols/32 blocks per row:
//
//   codes   [G][nb][4][16] u8   group k, block g: 16 code bytes of rows 4k..4k+3 (64 bytes, aligned)
//                               qs[j]: low nibble = element j, high nibble = element j+16
//   scales  [G][nb][4]     u8   E8M0 exponents of the same four rows (2^(e−127))
//
// Why: four rows are four independent memory streams (the prefetch wasm lacks; feasibility §3),
// code loads never straddle a cache line, and the four scales side by side make the per-block
// scale work one vector op for four rows.
// Codes decode through the doubled E2M1 table with one i8x16.swizzle; the scale is halved to
// compensate (ggml's E8M0_TO_FP32_HALF), so products stay exact integers until one multiply.
import { hsum, e8m0, hsum4_i32, store_rows } from './common';
import { group_times_tokens } from './batched';

const LUT2X = i8x16(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);
const CODES = 64; // code bytes per group block

/** Half scales of the four rows of a group block, as f32x4 (e ≥ 2: (e−1)<<23; e = 0, 1: subnormal). */
@inline function half_scales4(blk: usize): v128 {
  const e = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(blk)));
  const normal = i32x4.shl(i32x4.sub(e, i32x4.splat(1)), 23);
  const tiny = i32x4.shl(i32x4.add(e, i32x4.splat(1)), 21);
  return v128.bitselect(tiny, normal, i32x4.lt_s(e, i32x4.splat(2)));
}

/** [Σa, Σb, Σc, Σd] of four f32x4 vectors (the f32 twin of common.ts hsum4_i32). */
@inline function hsum4_f32(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(a, b, 2, 6, 3, 7));
  const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 1, 4, 5), v128.shuffle<f32>(ab, cd, 2, 3, 6, 7));
}

// ---- fast: q8 activations (quant.ts: i8 qs[n] then f32 d[n/32] per row) --------------------------
// One row's block: Σ code2x·q as i32x4 partial sums. The activations arrive widened to i16 once
// per block (shared by the four rows), so each row costs four extends and four i16 dot products.
@inline function rowdot_q8(q: v128, x0l: v128, x0h: v128, x1l: v128, x1h: v128, mask: v128): v128 {
  const wl = i8x16.swizzle(LUT2X, v128.and(q, mask));
  const wh = i8x16.swizzle(LUT2X, i8x16.shr_u(q, 4));
  const a = i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(wl), x0l), i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(wl), x0h));
  return i32x4.add(a, i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(wh), x1l), i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(wh), x1h)));
}

/** y[b][r] for rows [r0, r1) (r0 a multiple of 4) of an r4-layout matrix × q8 activations. */
export function matmul_mxfp4_q8(w: usize, x: usize, y: usize, n_in: i32, n_out: i32, B: i32, r0: i32, r1: i32): void {
  const nb = n_in >> 5;
  const sc = w + <usize>((n_out + 3) >> 2) * nb * CODES;
  const mask = i8x16.splat(15);
  for (let r = r0; r < r1; r += 4) {
    const wg = w + <usize>(r >> 2) * nb * CODES, sg = sc + <usize>(r >> 2) * nb * 4;
    for (let b = 0; b < B; b++) {
      const xq = x + <usize>b * nb * 36, xd = xq + <usize>nb * 32;
      let acc = f32x4.splat(0);
      for (let g = 0; g < nb; g++) {
        const blk = wg + <usize>g * CODES, xb = xq + (<usize>g << 5);
        const x0 = v128.load(xb), x1 = v128.load(xb, 16);
        const x0l = i16x8.extend_low_i8x16_s(x0), x0h = i16x8.extend_high_i8x16_s(x0);
        const x1l = i16x8.extend_low_i8x16_s(x1), x1h = i16x8.extend_high_i8x16_s(x1);
        const s = hsum4_i32(rowdot_q8(v128.load(blk), x0l, x0h, x1l, x1h, mask), rowdot_q8(v128.load(blk, 16), x0l, x0h, x1l, x1h, mask),
                            rowdot_q8(v128.load(blk, 32), x0l, x0h, x1l, x1h, mask), rowdot_q8(v128.load(blk, 48), x0l, x0h, x1l, x1h, mask));
        const d = f32x4.splat(load<f32>(xd + (<usize>g << 2)));
        acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(s), f32x4.mul(half_scales4(sg + (<usize>g << 2)), d)));
      }
      store_rows(y + ((<usize>b * n_out + r) << 2), acc, min(4, r1 - r));
    }
  }
}

/**
 * Prefill form of matmul_mxfp4_q8 for B ≥ 2: each group of four rows is decoded to i16 once into
 * `scratch` (batched.ts layout) and reused by every token, instead of decoding it again per token.
 * Same integer sums and the same float order per token as the one-token kernel: bit-identical.
 */
export function matmul_mxfp4_q8_batched(w: usize, x: usize, y: usize, n_in: i32, n_out: i32, B: i32, scratch: usize, r0: i32, r1: i32): void {
  const nb = n_in >> 5;
  const sc = w + <usize>((n_out + 3) >> 2) * nb * CODES;
  const mask = i8x16.splat(15);
  const dec = scratch, hs = scratch + <usize>nb * 256;
  for (let r = r0; r < r1; r += 4) {
    const wg = w + <usize>(r >> 2) * nb * CODES, sg = sc + <usize>(r >> 2) * nb * 4;
    for (let g = 0; g < nb; g++) {
      for (let i = 0; i < 4; i++) {
        const q = v128.load(wg + <usize>g * CODES + (<usize>i << 4));
        const wl = i8x16.swizzle(LUT2X, v128.and(q, mask)), wh = i8x16.swizzle(LUT2X, i8x16.shr_u(q, 4));
        const o = dec + (<usize>(g * 4 + i) << 6);
        v128.store(o, i16x8.extend_low_i8x16_s(wl)); v128.store(o, i16x8.extend_high_i8x16_s(wl), 16);
        v128.store(o, i16x8.extend_low_i8x16_s(wh), 32); v128.store(o, i16x8.extend_high_i8x16_s(wh), 48);
      }
      v128.store(hs + (<usize>g << 4), half_scales4(sg + (<usize>g << 2)));
    }
    group_times_tokens(scratch, x, y, nb, n_out, B, r, min(4, r1 - r));
  }
}

// ---- exact: f32 activations ---------------------------------------------------------------------
@inline function cvt4(v: v128): v128 { return f32x4.convert_i32x4_s(v); }

// Σ over 16 decoded values (i8x16) × 16 f32 activations at x, as four lanes.
@inline function dot16_i8_f32(w: v128, x: usize): v128 {
  const l = i16x8.extend_low_i8x16_s(w), h = i16x8.extend_high_i8x16_s(w);
  let s = f32x4.mul(cvt4(i32x4.extend_low_i16x8_s(l)), v128.load(x));
  s = f32x4.add(s, f32x4.mul(cvt4(i32x4.extend_high_i16x8_s(l)), v128.load(x, 16)));
  s = f32x4.add(s, f32x4.mul(cvt4(i32x4.extend_low_i16x8_s(h)), v128.load(x, 32)));
  return f32x4.add(s, f32x4.mul(cvt4(i32x4.extend_high_i16x8_s(h)), v128.load(x, 48)));
}

@inline function rowdot_f32(q: v128, xs: usize, mask: v128): v128 {
  return f32x4.add(dot16_i8_f32(i8x16.swizzle(LUT2X, v128.and(q, mask)), xs),
                   dot16_i8_f32(i8x16.swizzle(LUT2X, i8x16.shr_u(q, 4)), xs + 64));
}

export function matmul_mxfp4_f32(w: usize, x: usize, y: usize, n_in: i32, n_out: i32, B: i32, r0: i32, r1: i32): void {
  const nb = n_in >> 5;
  const sc = w + <usize>((n_out + 3) >> 2) * nb * CODES;
  const mask = i8x16.splat(15);
  for (let r = r0; r < r1; r += 4) {
    const wg = w + <usize>(r >> 2) * nb * CODES, sg = sc + <usize>(r >> 2) * nb * 4;
    for (let b = 0; b < B; b++) {
      const xr = x + <usize>b * n_in * 4;
      let acc = f32x4.splat(0);
      for (let g = 0; g < nb; g++) {
        const blk = wg + <usize>g * CODES, xs = xr + (<usize>g << 7);
        const s = hsum4_f32(rowdot_f32(v128.load(blk), xs, mask), rowdot_f32(v128.load(blk, 16), xs, mask),
                            rowdot_f32(v128.load(blk, 32), xs, mask), rowdot_f32(v128.load(blk, 48), xs, mask));
        acc = f32x4.add(acc, f32x4.mul(s, half_scales4(sg + (<usize>g << 2))));
      }
      store_rows(y + ((<usize>b * n_out + r) << 2), acc, min(4, r1 - r));
    }
  }
}

// ---- scalar twins: the plain E2M1 table and the full scale, straight from spec §3 ----------------
@inline function fp4(code: u32): f32 {
  const m = code & 7;
  const mag: f32 = m < 4 ? <f32>m * 0.5 : (m == 4 ? 2 : (m == 5 ? 3 : (m == 6 ? 4 : 6)));
  return code & 8 ? -mag : mag;
}

/** Code of element c of row r in the r4 layout. */
@inline function code_at(w: usize, nb: i32, r: i32, c: i32): u32 {
  const j = c & 31;
  const byte = <u32>load<u8>(w + (<usize>(r >> 2) * nb + (c >> 5)) * CODES + (r & 3) * 16 + (j & 15));
  return j < 16 ? byte & 15 : byte >> 4;
}
@inline function scale_at(w: usize, nb: i32, n_out: i32, r: i32, g: i32): u32 {
  return load<u8>(w + <usize>((n_out + 3) >> 2) * nb * CODES + (<usize>(r >> 2) * nb + g) * 4 + (r & 3));
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
      const xq = x + <usize>b * nb * 36;
      let si: i32 = 0;
      for (let k = 0; k < 32; k++) si += <i32>(fp4(code_at(w, nb, r, g * 32 + k)) * 2) * <i32>load<i8>(xq + (<usize>g << 5) + k);
      s += <f32>si * (e8m0(scale_at(w, nb, n_out, r, g)) * 0.5 * load<f32>(xq + <usize>nb * 32 + (<usize>g << 2)));
    }
    store<f32>(y + ((<usize>b * n_out + r) << 2), s);
  }
}

/**
 * Canonical GGML block rows → r4 layout, in place (see src/backends/cpu/repack.ts for why it is
 * safe): `rows` rows at w, scratch ≥ 4·nb·17 + G·nb·4 bytes elsewhere in this memory.
 */
export function repack_mxfp4_r4(w: usize, rows: i32, n_in: i32, scratch: usize): void {
  const nb = n_in >> 5, rb = <usize>nb * 17, G = (rows + 3) >> 2;
  const sc = scratch + 4 * rb;
  for (let k = 0; k < G; k++) {
    memory.copy(scratch, w + <usize>k * 4 * rb, 4 * rb);
    for (let g = 0; g < nb; g++) {
      const codes = w + (<usize>k * nb + g) * CODES;
      for (let i = 0; i < 4; i++) {
        const src = scratch + <usize>i * rb + <usize>g * 17;
        store<u8>(sc + (<usize>k * nb + g) * 4 + i, load<u8>(src));
        v128.store(codes + (<usize>i << 4), v128.load(src, 1));
      }
    }
  }
  memory.copy(w + <usize>G * nb * CODES, sc, <usize>G * nb * 4);
}
