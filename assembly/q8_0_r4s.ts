// Q8_0 × q8 products with the relaxed-SIMD dot (relaxed build only: assembly/index-relaxed.ts) on
// the CPU layout "q8_0 r4s", repacked once at load from the canonical GGML rows
// (src/backends/cpu/repack.ts). Groups of four rows as in q8_0_r4.ts (same 136 bytes per group
// block, same place), but four consecutive codes of a row per i32 lane:
//
//   block (k, g) at (k·nb + g)·136:
//     [0, 8)          f16 d of rows 4k+i, i = 0..3
//     8 + 16v + 4i + t   i8 q[4v + t] of row 4k+i   (v = 0..7, t = 0..3)
//
// i16x8.relaxed_dot_i8x16_i7x16_s(a, b) is the same on every lowering only with b in [0, 127], so
// the weights' signs move onto the activations (as ggml's x86 kernels do with _mm256_sign_epi8):
// Σ x·w = Σ (x·sgn w)·|w|, |w| the 7-bit operand, x·sgn w = (x ^ m) − m with m = (w < 0 ? −1 : 0).
// A pair sum is at most 2·127·127 = 32258 < 2^15: no saturation; each is widened to i32 at once.
// |−128| does not fit 7 bits: a matrix holding a −128 code takes the r4 layout and its kernels
// instead (q8_0_has_min_code; llama.cpp's quantiser never writes one). Per 16 weights: a load,
// an abs, a compare, an activation load, xor, sub, the dot, its widening and an add — the r4
// kernel's two extends and two pair shuffles go (shuffles were its bottleneck port).
// The float steps are r4.ts scaled_add, so results are bit-identical to the r4 kernels'.
import { Q8_BLOCK, store_rows } from './common';
import { GB, block_scales, repack_groups, scaled_add } from './r4';

const ONES16 = memory.data<i16>([1, 1, 1, 1, 1, 1, 1, 1]);

/** acc + the four rows' sums of code vector c against activations xs (four bytes, splat). */
@inline function step(c: v128, xs: v128, z: v128, ones: v128, acc: v128): v128 {
  return signed_step(i8x16.lt_s(c, z), i8x16.abs(c), xs, ones, acc);
}

/** step() with c's sign mask m and |c| aw given (shared by the tokens of a tile). */
@inline function signed_step(m: v128, aw: v128, xs: v128, ones: v128, acc: v128): v128 {
  return i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(i8x16.sub(v128.xor(xs, m), m), aw), ones));
}

/**
 * y[b][r] for rows [r0, r1) (r0 a multiple of 4) of an r4s-layout matrix × q8 activations, any B:
 * tokens four (then two) at a time share each code vector's abs and sign mask.
 */
export function matmul_q8_0_q8_sign(w: usize, x: usize, y: usize, n_in: i32, n_out: i32, B: i32, r0: i32, r1: i32): void {
  const nb = n_in >> 5, ones = v128.load(ONES16), z = i8x16.splat(0), xs = <usize>nb * Q8_BLOCK;
  for (let r = r0; r < r1; r += 4) {
    const wg = w + <usize>(r >> 2) * nb * GB, keep = min(4, r1 - r), yr = y + (<usize>r << 2);
    let b = 0;
    for (; b + 4 <= B; b += 4) tile4(wg, nb, x + <usize>b * xs, xs, yr + <usize>b * n_out * 4, n_out, keep, z, ones);
    if (b + 2 <= B) { tile2(wg, nb, x + <usize>b * xs, xs, yr + <usize>b * n_out * 4, n_out, keep, z, ones); b += 2; }
    for (; b < B; b++) tile1(wg, nb, x + <usize>b * xs, yr + <usize>b * n_out * 4, keep, z, ones);
  }
}

/** One token (q8 row xq): y[r..r+keep). Two accumulators: the adds of one never wait on the other's. */
function tile1(wg: usize, nb: i32, xq: usize, y: usize, keep: i32, z: v128, ones: v128): void {
  const xd = xq + <usize>nb * 32;
  let acc = f32x4.splat(0);
  for (let g = 0; g < nb; g++) {
    const blk = wg + <usize>g * GB + 8, xb = xq + (<usize>g << 5);
    let a = i32x4.splat(0), c = i32x4.splat(0);
    for (let v: usize = 0; v < 8; v += 2) {
      a = step(v128.load(blk + (v << 4)), v128.load32_splat(xb + (v << 2)), z, ones, a);
      c = step(v128.load(blk + (v << 4), 16), v128.load32_splat(xb + (v << 2), 4), z, ones, c);
    }
    acc = scaled_add(acc, i32x4.add(a, c), block_scales(blk - 8), load<f32>(xd + (<usize>g << 2)));
  }
  store_rows(y, acc, keep);
}

/** Four tokens (q8 rows xq, xq + xs, …; outputs y, y + n_out·4, …). */
function tile4(wg: usize, nb: i32, xq: usize, xs: usize, y: usize, n_out: i32, keep: i32, z: v128, ones: v128): void {
  tiles(4, wg, nb, xq, xs, y, n_out, keep, z, ones);
}

/**
 * Two tokens (two or three streams' decode steps): each code vector's abs and sign shared by both.
 * 112 against 146 µs for two tokens, 186 against 218 for three (512×2880, one thread, Zen 5, Bun,
 * alternating, same bits).
 */
function tile2(wg: usize, nb: i32, xq: usize, xs: usize, y: usize, n_out: i32, keep: i32, z: v128, ones: v128): void {
  tiles(2, wg, nb, xq, xs, y, n_out, keep, z, ones);
}

/** n (2 or 4, a constant where inlined) tokens against one row group. */
@inline function tiles(n: i32, wg: usize, nb: i32, xq: usize, xs: usize, y: usize, n_out: i32, keep: i32, z: v128, ones: v128): void {
  const xd = xq + <usize>nb * 32;
  let f0 = f32x4.splat(0), f1 = f32x4.splat(0), f2 = f32x4.splat(0), f3 = f32x4.splat(0);
  for (let g = 0; g < nb; g++) {
    const blk = wg + <usize>g * GB + 8, xb = xq + (<usize>g << 5);
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
    for (let v: usize = 0; v < 8; v++) {
      const c = v128.load(blk + (v << 4)), m = i8x16.lt_s(c, z), aw = i8x16.abs(c), o = xb + (v << 2);
      a0 = signed_step(m, aw, v128.load32_splat(o), ones, a0);
      a1 = signed_step(m, aw, v128.load32_splat(o + xs), ones, a1);
      if (n == 4) {
        a2 = signed_step(m, aw, v128.load32_splat(o + 2 * xs), ones, a2);
        a3 = signed_step(m, aw, v128.load32_splat(o + 3 * xs), ones, a3);
      }
    }
    const d = block_scales(blk - 8), gx = xd + (<usize>g << 2);
    f0 = scaled_add(f0, a0, d, load<f32>(gx)); f1 = scaled_add(f1, a1, d, load<f32>(gx + xs));
    if (n == 4) { f2 = scaled_add(f2, a2, d, load<f32>(gx + 2 * xs)); f3 = scaled_add(f3, a3, d, load<f32>(gx + 3 * xs)); }
  }
  const ys = <usize>n_out * 4;
  store_rows(y, f0, keep); store_rows(y + ys, f1, keep);
  if (n == 4) { store_rows(y + 2 * ys, f2, keep); store_rows(y + 3 * ys, f3, keep); }
}

/** 1 when a code of these canonical Q8_0 rows is −128 (the r4s layout cannot hold it), else 0. */
export function q8_0_has_min_code(w: usize, rows: i32, n_in: i32): i32 {
  const nb = n_in >> 5, min8 = i8x16.splat(-128);
  for (let b: usize = 0, n = <usize>rows * nb; b < n; b++) {
    const q = w + b * 34 + 2;
    if (v128.any_true(v128.or(i8x16.eq(v128.load(q), min8), i8x16.eq(v128.load(q, 16), min8)))) return 1;
  }
  return 0;
}

/** Canonical Q8_0 rows → r4s layout in place (scratch: 4·nb·34 bytes elsewhere in this memory), as repack_q8_0_r4 does. */
export function repack_q8_0_r4s(w: usize, rows: i32, n_in: i32, scratch: usize): void {
  repack_groups(w, rows, n_in, scratch, 4);
}
