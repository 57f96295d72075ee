// MXFP4 matrix products (spec §3). Weight rows are GGML block_mxfp4 (17 bytes / 32 values):
//
//   +0   u8 e         E8M0 scale 2^(e−127)
//   +1   u8 qs[16]    qs[j]: low nibble = element j, high nibble = element j+16
//
// Codes decode through the doubled E2M1 table {0,1,2,3,4,6,8,12,-0,-1,…,-12} with one
// i8x16.swizzle, and the block scale is halved to compensate (ggml's E8M0_TO_FP32_HALF), so the
// products are exact integers until the one multiply by the scale.
import { hsum, e8m0, e8m0_half } from './common';

const LUT2X = i8x16(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);

@inline function cvt4(v: v128): v128 { return f32x4.convert_i32x4_s(v); }

// Σ over 16 decoded values (i8x16) × 16 f32 activations at x.
@inline function dot16_i8_f32(w: v128, x: usize): v128 {
  const l = i16x8.extend_low_i8x16_s(w), h = i16x8.extend_high_i8x16_s(w);
  let s = f32x4.mul(cvt4(i32x4.extend_low_i16x8_s(l)), v128.load(x));
  s = f32x4.add(s, f32x4.mul(cvt4(i32x4.extend_high_i16x8_s(l)), v128.load(x, 16)));
  s = f32x4.add(s, f32x4.mul(cvt4(i32x4.extend_low_i16x8_s(h)), v128.load(x, 32)));
  return f32x4.add(s, f32x4.mul(cvt4(i32x4.extend_high_i16x8_s(h)), v128.load(x, 48)));
}

// ---- exact: f32 activations ---------------------------------------------------------------------
@inline function dot_mxfp4_f32(w: usize, x: usize, nb: i32): f32 {
  let acc = f32x4.splat(0);
  const mask = i8x16.splat(15);
  for (let g = 0; g < nb; g++) {
    const blk = w + <usize>g * 17;
    const xs = x + (<usize>g << 7);
    const q = v128.load(blk, 1);
    const s = f32x4.add(dot16_i8_f32(i8x16.swizzle(LUT2X, v128.and(q, mask)), xs),
                        dot16_i8_f32(i8x16.swizzle(LUT2X, i8x16.shr_u(q, 4)), xs + 64));
    acc = f32x4.add(acc, f32x4.mul(s, f32x4.splat(e8m0_half(load<u8>(blk)))));
  }
  return hsum(acc);
}

export function matmul_mxfp4_f32(w: usize, x: usize, y: usize, n_in: i32, n_out: i32, B: i32, r0: i32, r1: i32): void {
  const nb = n_in >> 5;
  for (let r = r0; r < r1; r++) {
    const row = w + <usize>r * <usize>nb * 17;
    for (let b = 0; b < B; b++) store<f32>(y + ((<usize>b * n_out + r) << 2), dot_mxfp4_f32(row, x + <usize>b * n_in * 4, nb));
  }
}

// Scalar twin: the plain E2M1 table and the full scale, straight from spec §3.
@inline function fp4(code: u32): f32 {
  const mag: f32 = (code & 7) < 4 ? <f32>(code & 7) * 0.5 : ((code & 7) == 4 ? 2 : ((code & 7) == 5 ? 3 : ((code & 7) == 6 ? 4 : 6)));
  return code & 8 ? -mag : mag;
}

export function matmul_mxfp4_f32_ref(w: usize, x: usize, y: usize, n_in: i32, n_out: i32, B: i32, r0: i32, r1: i32): void {
  const nb = n_in >> 5;
  for (let r = r0; r < r1; r++) for (let b = 0; b < B; b++) {
    let s: f32 = 0;
    for (let g = 0; g < nb; g++) {
      const blk = w + (<usize>r * nb + g) * 17;
      const sc = e8m0(load<u8>(blk));
      const xs = x + ((<usize>b * n_in + g * 32) << 2);
      for (let j = 0; j < 16; j++) {
        const c = <u32>load<u8>(blk + 1 + j);
        // (value · x) · scale: the scale last, so the twin stays finite over all 255 exponents
        s += fp4(c & 15) * load<f32>(xs + (<usize>j << 2)) * sc;
        s += fp4(c >> 4) * load<f32>(xs + (<usize>(j + 16) << 2)) * sc;
      }
    }
    store<f32>(y + ((<usize>b * n_out + r) << 2), s);
  }
}

// ---- fast: q8 activations (quant.ts: 36-byte blocks, f32 d + i8 q[32]) ---------------------------
// Per block: Σ code2x·q in i16 lanes (|12·127·4| = 6096 fits), pairwise-widen to i32, one scale.
@inline function block_mxfp4_q8(blk: usize, xb: usize, mask: v128): v128 {
  const q = v128.load(blk, 1);
  const wl = i8x16.swizzle(LUT2X, v128.and(q, mask));
  const wh = i8x16.swizzle(LUT2X, i8x16.shr_u(q, 4));
  const x0 = v128.load(xb, 4), x1 = v128.load(xb, 20);
  let p = i16x8.add(i16x8.extmul_low_i8x16_s(wl, x0), i16x8.extmul_high_i8x16_s(wl, x0));
  p = i16x8.add(p, i16x8.add(i16x8.extmul_low_i8x16_s(wh, x1), i16x8.extmul_high_i8x16_s(wh, x1)));
  return f32x4.mul(f32x4.convert_i32x4_s(i32x4.extadd_pairwise_i16x8_s(p)),
                   f32x4.splat(e8m0_half(load<u8>(blk)) * load<f32>(xb)));
}

export function matmul_mxfp4_q8(w: usize, x: usize, y: usize, n_in: i32, n_out: i32, B: i32, r0: i32, r1: i32): void {
  const nb = n_in >> 5;
  const rb = <usize>nb * 17;
  const mask = i8x16.splat(15);
  let r = r0;
  // Four rows per pass: four independent memory streams stand in for the prefetch wasm lacks
  // (research/feasibility.md §3: ×1.7 on cold weights). Same per-row summation order as below.
  for (; r + 4 <= r1; r += 4) {
    const w0 = w + <usize>r * rb;
    for (let b = 0; b < B; b++) {
      const xr = x + <usize>b * nb * 36;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      for (let g = 0; g < nb; g++) {
        const o = <usize>g * 17, xb = xr + <usize>g * 36;
        a0 = f32x4.add(a0, block_mxfp4_q8(w0 + o, xb, mask));
        a1 = f32x4.add(a1, block_mxfp4_q8(w0 + rb + o, xb, mask));
        a2 = f32x4.add(a2, block_mxfp4_q8(w0 + 2 * rb + o, xb, mask));
        a3 = f32x4.add(a3, block_mxfp4_q8(w0 + 3 * rb + o, xb, mask));
      }
      const yo = y + ((<usize>b * n_out + r) << 2);
      store<f32>(yo, hsum(a0)); store<f32>(yo, hsum(a1), 4); store<f32>(yo, hsum(a2), 8); store<f32>(yo, hsum(a3), 12);
    }
  }
  for (; r < r1; r++) {
    const row = w + <usize>r * rb;
    for (let b = 0; b < B; b++) {
      const xr = x + <usize>b * nb * 36;
      let a = f32x4.splat(0);
      for (let g = 0; g < nb; g++) a = f32x4.add(a, block_mxfp4_q8(row + <usize>g * 17, xr + <usize>g * 36, mask));
      store<f32>(y + ((<usize>b * n_out + r) << 2), hsum(a));
    }
  }
}

export function matmul_mxfp4_q8_ref(w: usize, x: usize, y: usize, n_in: i32, n_out: i32, B: i32, r0: i32, r1: i32): void {
  const nb = n_in >> 5;
  for (let r = r0; r < r1; r++) for (let b = 0; b < B; b++) {
    let s: f32 = 0;
    for (let g = 0; g < nb; g++) {
      const blk = w + (<usize>r * nb + g) * 17;
      const xb = x + (<usize>b * nb + g) * 36;
      let si: i32 = 0;
      for (let j = 0; j < 16; j++) {
        const c = <u32>load<u8>(blk + 1 + j);
        si += <i32>(fp4(c & 15) * 2) * <i32>load<i8>(xb + 4 + j);
        si += <i32>(fp4(c >> 4) * 2) * <i32>load<i8>(xb + 20 + j);
      }
      s += <f32>si * (e8m0_half(load<u8>(blk)) * load<f32>(xb));
    }
    store<f32>(y + ((<usize>b * n_out + r) << 2), s);
  }
}
