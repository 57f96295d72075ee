// Activation quantisation for the fast precision: per 32 values d = amax/127, q = round(x/d)
// (ties to even, as llama.cpp's AVX path), d kept at f16 precision — llama.cpp's Q8_0 activations
// (golden/README.md "Two things llama.cpp does"). A row of n values takes n + n/2 bytes:
//   qs [n] i8 (16-byte aligned blocks of 32) | d [n/32] f32 (f16-rounded) | Σqs [n/32] i32 | c [n/32] 2×i32
// c: the offset corrections of the relaxed MXFP4 kernels (mxfp4_rdot.ts rdot16), per block two
// i32, each a pair of i16: for half h (qs 16h … 16h+15), −12·Σ_j (q[16h+4j] + q[16h+4j+1]) then
// −12·Σ_j (q[16h+4j+2] + q[16h+4j+3]) — what each i16 lane of the kernel's accumulators must start
// at so that the lane ends at its exact Σ q·w. |value| ≤ 12·8·127 = 12192.
import { round_f16, Q8_BLOCK } from './common';

/** The pair of corrections of one half block q (16 i8) as one i32 (low i16: lanes 0, 2, …). */
@inline function corrections(q: v128): i32 {
  let p = i16x8.extadd_pairwise_i8x16_s(q); //       p[m] = q[2m] + q[2m+1]
  p = i16x8.add(p, v128.shuffle<i32>(p, p, 2, 3, 0, 1));
  p = i16x8.add(p, v128.shuffle<i32>(p, p, 1, 0, 3, 2)); // lane 0: Σ even m, lane 1: Σ odd m
  return i32x4.extract_lane(i16x8.mul(p, i16x8.splat(-12)), 0);
}

export function quantize_q8(x: usize, xq: usize, n: i32, B: i32): void {
  const nb = n >> 5;
  for (let b = 0; b < B; b++) for (let g = 0; g < nb; g++) {
    const xs = x + ((<usize>b * n + g * 32) << 2);
    const row = xq + <usize>b * nb * Q8_BLOCK, qb = row + (<usize>g << 5), db = row + <usize>nb * 32 + (<usize>g << 2);
    let m = f32x4.abs(v128.load(xs));
    for (let k = 1; k < 8; k++) m = f32x4.max(m, f32x4.abs(v128.load(xs + (<usize>k << 4))));
    const amax = max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
    const d: f32 = amax / 127;
    const id = f32x4.splat(d != 0 ? <f32>1 / d : 0);
    store<f32>(db, round_f16(d));
    let sum = i32x4.splat(0);
    for (let k = 0; k < 2; k++) {
      const o = xs + (<usize>k << 6);
      const i0 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(o), id)));
      const i1 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(o, 16), id)));
      const i2 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(o, 32), id)));
      const i3 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(o, 48), id)));
      const q = i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(i0, i1), i16x8.narrow_i32x4_s(i2, i3));
      v128.store(qb + (<usize>k << 4), q);
      sum = i32x4.add(sum, i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(q)));
      store<i32>(db + (<usize>nb << 3) + (<usize>g << 2) + (<usize>k << 2), corrections(q)); // db holds g·4 already
    }
    store<i32>(db + (<usize>nb << 2), (i32x4.extract_lane(sum, 0) + i32x4.extract_lane(sum, 1)) + (i32x4.extract_lane(sum, 2) + i32x4.extract_lane(sum, 3)));
  }
}

export function quantize_q8_ref(x: usize, xq: usize, n: i32, B: i32): void {
  const nb = n >> 5;
  for (let b = 0; b < B; b++) for (let g = 0; g < nb; g++) {
    const xs = x + ((<usize>b * n + g * 32) << 2);
    const row = xq + <usize>b * nb * Q8_BLOCK, qb = row + (<usize>g << 5), db = row + <usize>nb * 32 + (<usize>g << 2);
    let amax: f32 = 0;
    for (let k = 0; k < 32; k++) amax = max(amax, abs(load<f32>(xs + (<usize>k << 2))));
    const d: f32 = amax / 127;
    const id: f32 = d != 0 ? <f32>1 / d : 0;
    store<f32>(db, round_f16(d));
    let sum = 0;
    for (let k = 0; k < 32; k++) {
      const q = <i8><i32>nearest<f32>(load<f32>(xs + (<usize>k << 2)) * id);
      store<i8>(qb + k, q);
      sum += <i32>q;
    }
    store<i32>(db + (<usize>nb << 2), sum);
    for (let h = 0; h < 2; h++) for (let t = 0; t < 2; t++) {
      let s2 = 0;
      for (let j = 0; j < 4; j++) s2 += <i32>load<i8>(qb + 16 * h + 4 * j + 2 * t) + <i32>load<i8>(qb + 16 * h + 4 * j + 2 * t + 1);
      store<i16>(db + (<usize>nb << 3) + (<usize>g << 2) + <usize>(4 * h + 2 * t), -12 * s2);
    }
  }
}
