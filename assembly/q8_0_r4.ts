// Q8_0 × q8 products (fast precision) on the CPU layout "q8_0 r4", repacked once at load from the
// canonical GGML rows (src/backends/cpu/repack.ts). Rows come in groups of four (the last group
// zero-padded), nb = cols/32 blocks per row; a group's block takes the 4·34 bytes its four rows'
// blocks took, so the matrix keeps its size and group k its place:
//
//   block (k, g) at (k·nb + g)·136:
//     [0, 8)             f16 d of rows 4k+i, i = 0..3
//     8 + 16v + 8h + 2i + t   i8 q[4v + 2h + t] of row 4k+i   (v = 0..7, h, t ∈ {0, 1})
//
// Why: a 16-byte vector holds two weights of each of four rows twice over, so widened to i16 and
// multiplied (i32x4.dot_i16x8_s) with one activation pair repeated in every lane it leaves one row
// per i32 lane: the four rows' sums meet without a horizontal step, the activations are widened
// once for four rows, and the four scales convert as one vector. Row-at-a-time it ran at 5.9 GB/s
// of weights on one thread and 10.9 on two; this layout 7.2 and 13.4 (AMD EPYC, AVX2 only, Bun).
// The integer sums are exact; the float steps are the same for the one-token kernel, its batched
// form and the scalar twin, so all three give the same bits.
import { f16_to_f32, store_rows, Q8_BLOCK } from './common';
import { GB, block_scales, repack_groups, scaled_add } from './r4';

/** Activation pair l (of the four i32 lanes of x, i16 pairs) in every lane. */
@inline function pair(x: v128, l: i32): v128 {
  return l == 0 ? v128.shuffle<i32>(x, x, 0, 0, 0, 0) : l == 1 ? v128.shuffle<i32>(x, x, 1, 1, 1, 1)
    : l == 2 ? v128.shuffle<i32>(x, x, 2, 2, 2, 2) : v128.shuffle<i32>(x, x, 3, 3, 3, 3);
}

/** acc + the four rows' sums over code vector c (i8) against activation pairs l, l+1 of x (i16). */
@inline function step(c: v128, x: v128, l: i32, acc: v128): v128 {
  return i32x4.add(acc, i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(c), pair(x, l)),
                                  i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(c), pair(x, l + 1))));
}

/** acc + (the block's four integer sums) · (the four row scales · the token block's scale). */
@inline function block_add(acc: v128, sums: v128, blk: usize, dx: f32): v128 {
  return scaled_add(acc, sums, block_scales(blk), dx);
}

/** y[b][r] for rows [r0, r1) (r0 a multiple of 4) of an r4-layout matrix × q8 activations (quant.ts). */
export function matmul_q8_0_q8(w: usize, x: usize, y: usize, n_in: i32, n_out: i32, B: i32, r0: i32, r1: i32): void {
  const nb = n_in >> 5;
  for (let r = r0; r < r1; r += 4) {
    const wg = w + <usize>(r >> 2) * nb * GB;
    for (let b = 0; b < B; b++) {
      const xq = x + <usize>b * nb * Q8_BLOCK, xd = xq + <usize>nb * 32;
      let acc = f32x4.splat(0);
      for (let g = 0; g < nb; g++) {
        const blk = wg + <usize>g * GB, xb = xq + (<usize>g << 5);
        const x0 = v128.load(xb), x1 = v128.load(xb, 16);
        const X0 = i16x8.extend_low_i8x16_s(x0), X1 = i16x8.extend_high_i8x16_s(x0);
        const X2 = i16x8.extend_low_i8x16_s(x1), X3 = i16x8.extend_high_i8x16_s(x1);
        // two accumulators: the adds of one never wait on the other's
        let a = i32x4.splat(0), c = i32x4.splat(0);
        a = step(v128.load(blk, 8), X0, 0, a); c = step(v128.load(blk, 24), X0, 2, c);
        a = step(v128.load(blk, 40), X1, 0, a); c = step(v128.load(blk, 56), X1, 2, c);
        a = step(v128.load(blk, 72), X2, 0, a); c = step(v128.load(blk, 88), X2, 2, c);
        a = step(v128.load(blk, 104), X3, 0, a); c = step(v128.load(blk, 120), X3, 2, c);
        acc = block_add(acc, i32x4.add(a, c), blk, load<f32>(xd + (<usize>g << 2)));
      }
      store_rows(y + ((<usize>b * n_out + r) << 2), acc, min(4, r1 - r));
    }
  }
}

/** Code k (0..31) of row i (0..3) in a group block. */
@inline function code_at(blk: usize, i: i32, k: i32): i32 {
  return <i32>load<i8>(blk + 8 + (<usize>(k >> 2) << 4) + (<usize>((k >> 1) & 1) << 3) + (<usize>i << 1) + <usize>(k & 1));
}

/** Scalar twin of matmul_q8_0_q8 on the same layout (tests): per row, the same float steps. */
export function matmul_q8_0_q8_ref(w: usize, x: usize, y: usize, n_in: i32, n_out: i32, B: i32, r0: i32, r1: i32): void {
  const nb = n_in >> 5;
  for (let r = r0; r < r1; r++) for (let b = 0; b < B; b++) {
    const xq = x + <usize>b * nb * Q8_BLOCK;
    let s: f32 = 0;
    for (let g = 0; g < nb; g++) {
      const blk = w + (<usize>(r >> 2) * nb + g) * GB, i = r & 3;
      let si: i32 = 0;
      for (let k = 0; k < 32; k++) si += code_at(blk, i, k) * <i32>load<i8>(xq + (<usize>g << 5) + k);
      s += <f32>si * (f16_to_f32(load<u16>(blk + (<usize>i << 1))) * load<f32>(xq + <usize>nb * 32 + (<usize>g << 2)));
    }
    store<f32>(y + ((<usize>b * n_out + r) << 2), s);
  }
}

/**
 * Tokens whose activation pairs one pass of the batched kernel splats into its scratch
 * (8·n_in bytes each; src/backends/cpu/kernels.ts batchedScratch sizes the scratch from this export).
 */
export const Q8_PASS: i32 = 16;

/**
 * Batched form for B ≥ 2 (prefill, several streams' decode steps): up to Q8_PASS tokens at a time
 * have each activation pair splatted once into `scratch` (the one-token kernel's pair() shuffles,
 * done once per token instead of once per row group); then per row group, four (then two) tokens
 * at a time share each code vector's widening, every pair is a plain load and the four rows' scales convert
 * once. Per token and weight that leaves one i32x4.dot_i16x8_s and one add of the one-token
 * kernel's two extends, a shuffle, a dot and an add. Bit-identical to the one-token kernel: the
 * integer sums are exact in any order and the float steps are block_add's.
 */
export function matmul_q8_0_q8_batched(w: usize, x: usize, y: usize, n_in: i32, n_out: i32, B: i32, scratch: usize, r0: i32, r1: i32): void {
  const nb = n_in >> 5, ts = <usize>nb << 8; // splat bytes per token
  for (let b0 = 0; b0 < B; b0 += Q8_PASS) {
    const n = min(Q8_PASS, B - b0);
    for (let t = 0; t < n; t++) splat_pairs(x + <usize>(b0 + t) * nb * Q8_BLOCK, nb, scratch + <usize>t * ts);
    for (let r = r0; r < r1; r += 4) {
      const wg = w + <usize>(r >> 2) * nb * GB, keep = min(4, r1 - r);
      let t = 0;
      for (; t + 4 <= n; t += 4) tile4(wg, nb, x, scratch + <usize>t * ts, ts, b0 + t, y + (<usize>r << 2), n_out, keep);
      if (t + 2 <= n) { tile2(wg, nb, x, scratch + <usize>t * ts, ts, b0 + t, y + (<usize>r << 2), n_out, keep); t += 2; }
      for (; t < n; t++) tile1(wg, nb, x, scratch + <usize>t * ts, b0 + t, y + (<usize>r << 2), n_out, keep);
    }
  }
}

/** Token xq's 16 activation pairs per block as i16 pairs in all four lanes: pair p of block g at s + g·256 + p·16. */
function splat_pairs(xq: usize, nb: i32, s: usize): void {
  for (let g = 0; g < nb; g++) {
    const x0 = v128.load(xq + (<usize>g << 5)), x1 = v128.load(xq + (<usize>g << 5), 16), o = s + (<usize>g << 8);
    splat4(o, i16x8.extend_low_i8x16_s(x0)); splat4(o + 64, i16x8.extend_high_i8x16_s(x0));
    splat4(o + 128, i16x8.extend_low_i8x16_s(x1)); splat4(o + 192, i16x8.extend_high_i8x16_s(x1));
  }
}

@inline function splat4(o: usize, X: v128): void {
  v128.store(o, pair(X, 0)); v128.store(o, pair(X, 1), 16); v128.store(o, pair(X, 2), 32); v128.store(o, pair(X, 3), 48);
}

/** The four rows of group wg against tokens b..b+3 (splats at s, s + ts, …): y[b+j][r..r+keep). */
function tile4(wg: usize, nb: i32, x: usize, s: usize, ts: usize, b: i32, y: usize, n_out: i32, keep: i32): void {
  tiles(4, wg, nb, x, s, ts, b, y, n_out, keep);
}

/**
 * tile4 for two tokens (two or three streams' decode steps): each code vector widened once for
 * both. 108 against 191 µs for two tokens, 202 against 282 for three (512×2880, one thread, Zen 5,
 * Bun, alternating, same bits).
 */
function tile2(wg: usize, nb: i32, x: usize, s: usize, ts: usize, b: i32, y: usize, n_out: i32, keep: i32): void {
  tiles(2, wg, nb, x, s, ts, b, y, n_out, keep);
}

/** acc + a widened code vector (lo, hi) against one token's splatted activation pairs at o (32 bytes). */
@inline function pairs_add(lo: v128, hi: v128, o: usize, acc: v128): v128 {
  return i32x4.add(acc, i32x4.add(i32x4.dot_i16x8_s(lo, v128.load(o)), i32x4.dot_i16x8_s(hi, v128.load(o, 16))));
}

/** n (2 or 4, a constant where inlined) tokens against one row group. */
@inline function tiles(n: i32, wg: usize, nb: i32, x: usize, s: usize, ts: usize, b: i32, y: usize, n_out: i32, keep: i32): void {
  const xd = x + <usize>b * nb * Q8_BLOCK + <usize>nb * 32, xs = <usize>nb * Q8_BLOCK; // token b's scales, stride to b+1
  let f0 = f32x4.splat(0), f1 = f32x4.splat(0), f2 = f32x4.splat(0), f3 = f32x4.splat(0);
  for (let g = 0; g < nb; g++) {
    const blk = wg + <usize>g * GB, sp = s + (<usize>g << 8);
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
    for (let v: usize = 0; v < 8; v++) {
      const c = v128.load(blk + 8 + (v << 4)), lo = i16x8.extend_low_i8x16_s(c), hi = i16x8.extend_high_i8x16_s(c), o = sp + (v << 5);
      a0 = pairs_add(lo, hi, o, a0);
      a1 = pairs_add(lo, hi, o + ts, a1);
      if (n == 4) { a2 = pairs_add(lo, hi, o + 2 * ts, a2); a3 = pairs_add(lo, hi, o + 3 * ts, a3); }
    }
    const d = block_scales(blk), gx = xd + (<usize>g << 2);
    f0 = scaled_add(f0, a0, d, load<f32>(gx)); f1 = scaled_add(f1, a1, d, load<f32>(gx + xs));
    if (n == 4) { f2 = scaled_add(f2, a2, d, load<f32>(gx + 2 * xs)); f3 = scaled_add(f3, a3, d, load<f32>(gx + 3 * xs)); }
  }
  const yb = y + <usize>b * n_out * 4, ys = <usize>n_out * 4;
  store_rows(yb, f0, keep); store_rows(yb + ys, f1, keep);
  if (n == 4) { store_rows(yb + 2 * ys, f2, keep); store_rows(yb + 3 * ys, f3, keep); }
}

/** tile4 for one token (the tail of a pass). */
function tile1(wg: usize, nb: i32, x: usize, s: usize, b: i32, y: usize, n_out: i32, keep: i32): void {
  const xd = x + <usize>b * nb * Q8_BLOCK + <usize>nb * 32;
  let f = f32x4.splat(0);
  for (let g = 0; g < nb; g++) {
    const blk = wg + <usize>g * GB, sp = s + (<usize>g << 8);
    let a = i32x4.splat(0);
    for (let v: usize = 0; v < 8; v++) {
      const c = v128.load(blk + 8 + (v << 4)), o = sp + (v << 5);
      a = pairs_add(i16x8.extend_low_i8x16_s(c), i16x8.extend_high_i8x16_s(c), o, a);
    }
    f = scaled_add(f, a, block_scales(blk), load<f32>(xd + (<usize>g << 2)));
  }
  store_rows(y + <usize>b * n_out * 4, f, keep);
}

/**
 * Canonical Q8_0 rows → r4 layout, in place: group k's four rows and its r4 blocks take the same
 * bytes, so each group is copied to `scratch` (4·nb·34 bytes elsewhere in this memory) and written
 * back. A last group of fewer than four rows needs its padded size allocated; the padding rows
 * read as zero codes with zero scales.
 */
export function repack_q8_0_r4(w: usize, rows: i32, n_in: i32, scratch: usize): void {
  repack_groups(w, rows, n_in, scratch, 2);
}
