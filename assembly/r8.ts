// The MXFP4 "r8" layout (described in mxfp4.ts) and the per-block float step, shared by the
// baseline kernels (mxfp4.ts) and the relaxed-SIMD ones (mxfp4_rdot.ts). Not exported from the
// module: these take and return v128.
import { store_rows } from './common';

/** Code bytes of one group block (eight rows × 16). */
export const CODES: usize = 128;

/** Start of the codes / the scales of the eight-row group holding row r, for a matrix of n_out rows at w. */
@inline export function group_codes(w: usize, nb: i32, r: i32): usize { return w + <usize>(r >> 3) * nb * CODES; }
@inline export function group_scales(w: usize, nb: i32, n_out: i32, r: i32): usize {
  return w + <usize>((n_out + 7) >> 3) * nb * CODES + <usize>(r >> 3) * nb * 8;
}

/** 2^-127 (an E8M0 byte of 0) as f32 bits in four lanes, in the data segment (load once per call). */
export const SCALE_MIN = memory.data<i32>([0x00400000, 0x00400000, 0x00400000, 0x00400000]);

/** 2^23 in four lanes (data segment): e · 2^23 = e << 23, the f32 bits of 2^(e−127) for e ≥ 1. A
 * multiply because JavaScriptCore turns a constant vector shift into three scalar instructions
 * and a move into a vector register on every use: kernels 1.3 % faster per probe call (Zen 5, Bun). */
export const SCALE_STEP = memory.data<i32>([0x00800000, 0x00800000, 0x00800000, 0x00800000]);

/** Scales 2^(e−127) of rows 0..3 (lo) or 4..7 (hi) of a block from its eight E8M0 bytes widened
 * to i16 (scale_bytes): e · step is the f32 for e ≥ 1; for e = 0 the max picks tiny = SCALE_MIN. */
@inline export function scales_lo(e16: v128, tiny: v128, step: v128): v128 { return i32x4.max_s(i32x4.mul(i32x4.extend_low_i16x8_u(e16), step), tiny); }
@inline export function scales_hi(e16: v128, tiny: v128, step: v128): v128 { return i32x4.max_s(i32x4.mul(i32x4.extend_high_i16x8_u(e16), step), tiny); }
@inline export function scale_bytes(p: usize): v128 { return i16x8.extend_low_i8x16_u(v128.load64_zero(p)); }

/**
 * acc + s · (scale · d/2): the one float step per block and four rows, shared by every q8 kernel
 * variant so that equal integer sums give equal bits. d/2 is exact (d is f16-rounded: ≥ 2^-24),
 * and scale · d/2 equals the half scale times d exactly, so this rounds like the r4 kernels did.
 */
@inline export function scale_add(acc: v128, s: v128, scale: v128, dd: v128): v128 {
  return f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(s), f32x4.mul(scale, dd)));
}

/** Stores the first n (≤ 8) rows of lo, hi (rows 0..3, 4..7) as consecutive f32 at y. */
@inline export function store_rows8(y: usize, lo: v128, hi: v128, n: i32): void {
  if (n >= 8) { v128.store(y, lo); v128.store(y, hi, 16); return; }
  store_rows(y, lo, min(n, 4));
  if (n > 4) store_rows(y + 16, hi, n - 4);
}

