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

