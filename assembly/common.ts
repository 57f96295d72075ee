// Shared helpers for the kernels. Pointers are byte offsets into the imported (shared) memory;
// kernels allocate nothing.

/** Bytes of q8 activations per 32 values: 32 i8, an f32 scale, an i32 sum, two i16 pairs (quant.ts). */
export const Q8_BLOCK: i32 = 48;

/** Sum of the four lanes in a fixed order (so every caller rounds the same way). */
@inline export function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) +
         (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** f16 bits → f32, exact for normals and subnormals: shift into f32 position, rescale by 2^112. */
@inline export function f16_to_f32(h: u32): f32 {
  const mag = reinterpret<f32>((h & 0x7fff) << 13) * reinterpret<f32>(0x77800000); // 2^112
  return reinterpret<f32>(reinterpret<u32>(mag) | ((h & 0x8000) << 16));
}

/**
 * Four f16 values, sign-extended to i32 lanes (i32x4.extend_*_i16x8_s), → f32x4 with the same
 * result as f16_to_f32: × 2^13 moves exponent and mantissa to bits 27..13 and keeps the sign in
 * bit 31, the mask clears the sign extension's copies at bits 30..28, × 2^112 rebiases. A multiply
 * and not a shift: JSC emits a constant i32x4.shl as four instructions (the count moved through a
 * general register each time), and this form needs no separate sign step.
 */
@inline export function f16x4_to_f32x4(hs: v128): v128 {
  const bits = v128.and(i32x4.mul(hs, i32x4.splat(8192)), i32x4.splat(0x8fffffff));
  return f32x4.mul(bits, f32x4.splat(reinterpret<f32>(0x77800000)));
}

/** Round an f32 to the nearest f16 value (ties to even) and return it as f32 — GGML_FP32_TO_FP16. */
export function round_f16(x: f32): f32 {
  const b = reinterpret<u32>(x);
  const sign = b & 0x80000000;
  const a = b & 0x7fffffff;
  if (a >= 0x47800000) return reinterpret<f32>(sign | 0x7f800000); // ≥ 65536 (or inf/nan) → inf
  if (a < 0x38800000) {
    // f16 subnormal range: quantum 2^-24; f32 arithmetic rounds ties to even.
    const q = reinterpret<f32>(a) * reinterpret<f32>(0x4b800000); // × 2^24
    const r = nearest<f32>(q) * reinterpret<f32>(0x33800000); //      × 2^-24
    return reinterpret<f32>(sign | reinterpret<u32>(r));
  }
  // normal: keep 10 mantissa bits, round to nearest even on the 13 dropped bits
  const rem = a & 0x1fff;
  let m = a & ~0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (m & 0x2000) != 0)) m += 0x2000;
  if (m >= 0x47800000) m = 0x7f800000; // rounded past 65504: f16 infinity
  return reinterpret<f32>(sign | m);
}

/** 2^(e−127) for an E8M0 byte; e = 0 is the subnormal 2^-127. */
@inline export function e8m0(e: u32): f32 {
  return e == 0 ? reinterpret<f32>(0x00400000) : reinterpret<f32>(e << 23);
}

/** Reads 64-byte lines [l0, l1) of the region at p (memory-bandwidth probe for bench/). */
export function read_lines(p: usize, unused: i32, l0: i32, l1: i32): i32 {
  let a = i32x4.splat(0), b = i32x4.splat(0);
  for (let l = l0; l < l1; l++) {
    const o = p + (<usize>l << 6);
    a = v128.xor(a, v128.xor(v128.load(o), v128.load(o, 16)));
    b = v128.xor(b, v128.xor(v128.load(o, 32), v128.load(o, 48)));
  }
  return i32x4.extract_lane(v128.xor(a, b), 0);
}

/** [Σa, Σb, Σc, Σd] of four i32x4 vectors: one lane per row of a four-row group. */
@inline export function hsum4_i32(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i32x4.add(v128.shuffle<i32>(a, b, 0, 4, 1, 5), v128.shuffle<i32>(a, b, 2, 6, 3, 7));
  const cd = i32x4.add(v128.shuffle<i32>(c, d, 0, 4, 1, 5), v128.shuffle<i32>(c, d, 2, 6, 3, 7));
  return i32x4.add(v128.shuffle<i32>(ab, cd, 0, 1, 4, 5), v128.shuffle<i32>(ab, cd, 2, 3, 6, 7));
}

/** Stores the first n (≤ 4) lanes of acc as consecutive f32 at y. */
@inline export function store_rows(y: usize, acc: v128, n: i32): void {
  store<f32>(y, f32x4.extract_lane(acc, 0));
  if (n > 1) store<f32>(y, f32x4.extract_lane(acc, 1), 4);
  if (n > 2) store<f32>(y, f32x4.extract_lane(acc, 2), 8);
  if (n > 3) store<f32>(y, f32x4.extract_lane(acc, 3), 12);
}

/** f32 → f16 bits, rounding to nearest even (GGML_FP32_TO_FP16). */
export function f16_bits(x: f32): u16 {
  const r = round_f16(x);
  const b = reinterpret<u32>(r);
  const sign = (b >> 16) & 0x8000, a = b & 0x7fffffff;
  if (a >= 0x7f800000) return <u16>(sign | (a > 0x7f800000 ? 0x7e00 : 0x7c00));
  if (a < 0x38800000) return <u16>(sign | <u32>(reinterpret<f32>(a) * reinterpret<f32>(0x4b800000))); // subnormal: units of 2^-24
  return <u16>(sign | (((a >> 23) - 112) << 10) | ((a >> 13) & 0x3ff));
}

/**
 * e^x for four lanes, within 3 ulp of Mathf.exp for x in [−87.3, 88.3]; +∞ above 88.73 where e^x
 * overflows f32 (so g / (1 + e^−αg) → −0 for very negative gates, as with Mathf.exp); between,
 * and below −87.3, the value at the clamp (the result stays a normal f32). x = n·ln2 + r with
 * |r| ≤ ln2/2 (ln2 in two parts, so r is exact to f32), e^r by Cephes' degree-6 polynomial, 2^n
 * put into the exponent bits. NaN stays NaN. n comes from adding 1.5·2^23 (the sum rounds to an
 * integer, ties to even, as f32x4.nearest; its low mantissa bits then hold n) and 2^n from that
 * sum's bits times 2^23: no nearest + trunc_sat + constant shift, which JSC builds out of several
 * instructions each — 5.3 against 5.6 ns an exp4 under Bun (Zen 5), the same bits.
 */
@inline export function exp4(v: v128): v128 {
  // pmin/pmax (one minps/maxps): the same clamp as min/max for every input but the sign of a zero
  // (exp treats ±0 alike) and which NaN passes; JSC builds f32x4.min/max's NaN and −0 rules out of
  // seven instructions each.
  const x = f32x4.pmax(f32x4.pmin(v, f32x4.splat(88.3)), f32x4.splat(-87.3));
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(1.44269504088896341)), f32x4.splat(12582912));
  const n = f32x4.sub(t, f32x4.splat(12582912));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375))), f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), f32x4.splat(1));
  const e = f32x4.mul(p, i32x4.mul(i32x4.sub(t, i32x4.splat(0x4b400000 - 127)), i32x4.splat(1 << 23)));
  return v128.bitselect(f32x4.splat(Infinity), e, f32x4.gt(v, f32x4.splat(88.7228394)));
}
