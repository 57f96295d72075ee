// What the Q8_0 group layouts "r4" (q8_0_r4.ts) and "r4s" (q8_0_r4s.ts) share: the group block's
// size, its four f16 row scales, and the one float step per block, so the kernels on either
// layout give the same bits. Not exported from the module: these take and return v128.
import { f16x4_to_f32x4 } from './common';

/** Bytes of one group block: four f16 scales and 4·32 codes. */
export const GB: usize = 136;

/** The four rows' f16 scales of a group block as f32x4. */
@inline export function block_scales(blk: usize): v128 {
  return f16x4_to_f32x4(i32x4.extend_low_i16x8_s(v128.load64_zero(blk)));
}

/** acc + sums · (d · dx): the float steps every form of the kernel takes, in this order. */
@inline export function scaled_add(acc: v128, sums: v128, d: v128, dx: f32): v128 {
  return f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(sums), f32x4.mul(d, f32x4.splat(dx))));
}


/**
 * Canonical Q8_0 rows → a four-row group layout in place, `lane` consecutive codes of a row side
 * by side (r4: 2, r4s: 4): code q of row 4k+i of block g at 8 + 4·lane·⌊q/lane⌋ + lane·i + q mod
 * lane, after the four f16 scales. Group k's four rows and its blocks take the same bytes, so each
 * group is copied to `scratch` (4·nb·34 bytes elsewhere in this memory) and written back; a
 * last group of fewer than four rows needs its padded size allocated (padding: zero codes and
 * scales). lane must be 2 or 4.
 */
@inline export function repack_groups(w: usize, rows: i32, n_in: i32, scratch: usize, lane: i32): void {
  const nb = n_in >> 5, rb = <usize>nb * 34, G = (rows + 3) >> 2, L = <usize>lane;
  for (let k = 0; k < G; k++) {
    const have = min(4, rows - k * 4), src = w + <usize>k * 4 * rb;
    memory.copy(scratch, src, <usize>have * rb);
    memory.fill(scratch + <usize>have * rb, 0, <usize>(4 - have) * rb);
    for (let g = 0; g < nb; g++) {
      const blk = src + <usize>g * GB;
      for (let i = 0; i < 4; i++) {
        const row = scratch + <usize>i * rb + <usize>g * 34;
        store<u16>(blk + (<usize>i << 1), load<u16>(row));
        for (let c: usize = 0; c < 32 / L; c++) { // lane is a constant where this is inlined: one load and store each
          if (L == 2) store<u16>(blk + 8 + 8 * c + 2 * <usize>i, load<u16>(row + 2 + 2 * c));
          else store<u32>(blk + 8 + 16 * c + 4 * <usize>i, load<u32>(row + 2 + 4 * c));
        }
      }
    }
  }
}
