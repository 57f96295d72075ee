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
import { f16_to_f32, f16x4_to_f32x4, store_rows, Q8_BLOCK } from './common';

/** Bytes of one group block: four f16 scales and 4·32 codes. */
const GB: usize = 136;

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
  const d = f16x4_to_f32x4(i32x4.extend_low_i16x8_u(v128.load64_zero(blk)));
  return f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(sums), f32x4.mul(d, f32x4.splat(dx))));
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
 * Prefill form for B ≥ 2: each group's codes are widened to i16 once into `scratch` (nb·256
 * bytes) and reused by every token; bit-identical to the one-token kernel.
 */
export function matmul_q8_0_q8_batched(w: usize, x: usize, y: usize, n_in: i32, n_out: i32, B: i32, scratch: usize, r0: i32, r1: i32): void {
  const nb = n_in >> 5;
  for (let r = r0; r < r1; r += 4) {
    const wg = w + <usize>(r >> 2) * nb * GB;
    for (let g = 0; g < nb; g++) for (let v: usize = 0; v < 8; v++) {
      const c = v128.load(wg + <usize>g * GB + 8 + (v << 4)), o = scratch + (<usize>g << 8) + (v << 5);
      v128.store(o, i16x8.extend_low_i8x16_s(c)); v128.store(o, i16x8.extend_high_i8x16_s(c), 16);
    }
    for (let b = 0; b < B; b++) {
      const xq = x + <usize>b * nb * Q8_BLOCK, xd = xq + <usize>nb * 32;
      let acc = f32x4.splat(0);
      for (let g = 0; g < nb; g++) {
        const d = scratch + (<usize>g << 8), xb = xq + (<usize>g << 5);
        const x0 = v128.load(xb), x1 = v128.load(xb, 16);
        const X0 = i16x8.extend_low_i8x16_s(x0), X1 = i16x8.extend_high_i8x16_s(x0);
        const X2 = i16x8.extend_low_i8x16_s(x1), X3 = i16x8.extend_high_i8x16_s(x1);
        let a = i32x4.splat(0), c = i32x4.splat(0);
        a = wstep(d, 0, X0, 0, a); c = wstep(d, 32, X0, 2, c);
        a = wstep(d, 64, X1, 0, a); c = wstep(d, 96, X1, 2, c);
        a = wstep(d, 128, X2, 0, a); c = wstep(d, 160, X2, 2, c);
        a = wstep(d, 192, X3, 0, a); c = wstep(d, 224, X3, 2, c);
        acc = block_add(acc, i32x4.add(a, c), wg + <usize>g * GB, load<f32>(xd + (<usize>g << 2)));
      }
      store_rows(y + ((<usize>b * n_out + r) << 2), acc, min(4, r1 - r));
    }
  }
}

/** step() on a code vector already widened to i16 at d + o (low half) and d + o + 16 (high half). */
@inline function wstep(d: usize, o: usize, x: v128, l: i32, acc: v128): v128 {
  return i32x4.add(acc, i32x4.add(i32x4.dot_i16x8_s(v128.load(d + o), pair(x, l)), i32x4.dot_i16x8_s(v128.load(d + o + 16), pair(x, l + 1))));
}

/**
 * Canonical Q8_0 rows → r4 layout, in place: group k's four rows and its r4 blocks take the same
 * bytes, so each group is copied to `scratch` (4·nb·34 bytes elsewhere in this memory) and written
 * back. A last group of fewer than four rows needs its padded size allocated; the padding rows
 * read as zero codes with zero scales.
 */
export function repack_q8_0_r4(w: usize, rows: i32, n_in: i32, scratch: usize): void {
  const nb = n_in >> 5, rb = <usize>nb * 34, G = (rows + 3) >> 2;
  for (let k = 0; k < G; k++) {
    const have = min(4, rows - k * 4), src = w + <usize>k * 4 * rb;
    memory.copy(scratch, src, <usize>have * rb);
    memory.fill(scratch + <usize>have * rb, 0, <usize>(4 - have) * rb);
    for (let g = 0; g < nb; g++) {
      const blk = src + <usize>g * GB;
      for (let i = 0; i < 4; i++) {
        const row = scratch + <usize>i * rb + <usize>g * 34;
        store<u16>(blk + (<usize>i << 1), load<u16>(row));
        for (let v = 0; v < 8; v++) for (let h = 0; h < 2; h++) {
          store<u16>(blk + 8 + (<usize>v << 4) + (<usize>h << 3) + (<usize>i << 1), load<u16>(row + 2 + (<usize>v << 2) + (<usize>h << 1)));
        }
      }
    }
  }
}
