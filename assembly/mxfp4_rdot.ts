// MXFP4 × q8 with the relaxed-SIMD dot product (relaxed build only: assembly/index-relaxed.ts),
// on the r8 layout of mxfp4.ts.
//
// i32x4.relaxed_dot_i8x16_i7x16_add_s(a, b, c) is only defined (the same on every lowering: V8's
// vpdpbusd, pmaddubsw + pmaddwd, JSC's) when b fits in 7 bits unsigned and no i16 pair sum
// saturates. So the codes decode through the table to 2·E2M1 + 12 ∈ [0, 24] (the i7 operand), the
// q8 activations are the signed operand, and each block subtracts 12·Σx (Σx from quant.ts, per
// token and block, shared by every row): Σ x·(w+12) − 12·Σx = Σ x·w exactly. Largest pair sum
// 2·24·127 = 6096: no saturation. The float step is r8.ts scale_add, so the result is
// bit-identical to the baseline kernel's (the correction enters the integer sum, which is exact).
import { Q8_BLOCK } from './common';
import { CODES, SCALE_MIN, SCALE_STEP, group_codes, group_scales, scale_add, scale_bytes, scales_hi, scales_lo, store_rows8 } from './r8';

// Tables live in the data segment and are loaded into locals once per call: a v128.const in the
// loop is rebuilt by the engines on every use (several instructions each), a local stays in a
// register. LUT_OFF: 2·E2M1 + 12 for codes 0…15; NIBBLE: the low-nibble mask.
const LUT_OFF = memory.data<u8>([12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0]);
const NIBBLE = memory.data<u8>([15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15]);
const ONES16 = memory.data<i16>([1, 1, 1, 1, 1, 1, 1, 1]);

// Indexes < 16 after the mask: relaxed_swizzle is defined there and skips the range fix. The high
// nibbles shift as i16 lanes and take the same mask: i8x16.shr_u has no x86 instruction (engines
// emit a shift plus a freshly built mask).
@inline function lo(c: v128, lut: v128, m: v128): v128 { return i8x16.relaxed_swizzle(lut, v128.and(c, m)); }
@inline function hi(c: v128, lut: v128, m: v128): v128 { return i8x16.relaxed_swizzle(lut, v128.and(i16x8.shr_u(c, 4), m)); }
@inline function rdot(x: v128, w: v128, acc: v128): v128 { return i32x4.relaxed_dot_i8x16_i7x16_add_s(x, w, acc); }

/**
 * y[b][r] for rows [r0, r1) (r0 a multiple of 8) of an r8-layout matrix × q8 activations (Deno's
 * pick: V8 lowers the i32 dot to vpdpbusd). Tokens two at a time (several streams' experts) take
 * the rdot16 kernel's two-token pass, tokens(): the same integer sums, so the same bits, each code
 * vector decoded once for both. Under Deno 27.8 against 34.2 µs for two tokens, 54.9 against 67.4
 * for four, one token unchanged (16.8; 256×2880, one thread, Zen 5, same process, alternating);
 * under Bun, which keeps rdot16, this kernel's one token ran 7 % slower beside the pair path.
 */
export function matmul_mxfp4_q8_rdot(w: usize, x: usize, y: usize, n_in: i32, n_out: i32, B: i32, r0: i32, r1: i32): void {
  const nb = n_in >> 5, lut = v128.load(LUT_OFF), m = v128.load(NIBBLE), tiny = v128.load(SCALE_MIN), step = v128.load(SCALE_STEP), ones = v128.load(ONES16);
  const xr = <usize>nb * Q8_BLOCK; // one token's q8 row
  for (let r = r0; r < r1; r += 8) {
    const wg = group_codes(w, nb, r), sg = group_scales(w, nb, n_out, r);
    let t = 0;
    for (; t + 2 <= B; t += 2) tokens(2, false, wg, sg, x + <usize>t * xr, xr, y + ((<usize>t * n_out + r) << 2), nb, n_out, min(8, r1 - r), lut, m, tiny, step, ones);
    for (let b = t; b < B; b++) {
      const xq = x + <usize>b * xr, xd = xq + <usize>nb * 32, xs = xd + <usize>nb * 4;
      let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
      let blk = wg, xb = xq, sp = sg;
      for (let g: usize = 0; g < <usize>nb; g++, blk += CODES, xb += 32, sp += 8) {
        // a0, a1 start at −12·Σx (the offset's correction); b0, b1 take the high nibbles: four
        // independent accumulators, so the dot's latency (vpdpbusd: ~5 cycles) never chains 8 deep.
        // The four steps are written out: constant offsets fold into the loads.
        let a0 = i32x4.splat(-12 * load<i32>(xs + (g << 2))), a1 = a0, b0 = i32x4.splat(0), b1 = b0;
        {
          const xl = v128.load32_splat(xb, 0), xh = v128.load32_splat(xb, 16);
          const c0 = v128.load(blk, 0), c1 = v128.load(blk, 16);
          a0 = rdot(xl, lo(c0, lut, m), a0); b0 = rdot(xh, hi(c0, lut, m), b0);
          a1 = rdot(xl, lo(c1, lut, m), a1); b1 = rdot(xh, hi(c1, lut, m), b1);
        }
        {
          const xl = v128.load32_splat(xb, 4), xh = v128.load32_splat(xb, 20);
          const c0 = v128.load(blk, 32), c1 = v128.load(blk, 48);
          a0 = rdot(xl, lo(c0, lut, m), a0); b0 = rdot(xh, hi(c0, lut, m), b0);
          a1 = rdot(xl, lo(c1, lut, m), a1); b1 = rdot(xh, hi(c1, lut, m), b1);
        }
        {
          const xl = v128.load32_splat(xb, 8), xh = v128.load32_splat(xb, 24);
          const c0 = v128.load(blk, 64), c1 = v128.load(blk, 80);
          a0 = rdot(xl, lo(c0, lut, m), a0); b0 = rdot(xh, hi(c0, lut, m), b0);
          a1 = rdot(xl, lo(c1, lut, m), a1); b1 = rdot(xh, hi(c1, lut, m), b1);
        }
        {
          const xl = v128.load32_splat(xb, 12), xh = v128.load32_splat(xb, 28);
          const c0 = v128.load(blk, 96), c1 = v128.load(blk, 112);
          a0 = rdot(xl, lo(c0, lut, m), a0); b0 = rdot(xh, hi(c0, lut, m), b0);
          a1 = rdot(xl, lo(c1, lut, m), a1); b1 = rdot(xh, hi(c1, lut, m), b1);
        }
        const e = scale_bytes(sp), dd = f32x4.mul(v128.load32_splat(xd + (g << 2)), f32x4.splat(0.5));
        acc0 = scale_add(acc0, i32x4.add(a0, b0), scales_lo(e, tiny, step), dd);
        acc1 = scale_add(acc1, i32x4.add(a1, b1), scales_hi(e, tiny, step), dd);
      }
      store_rows8(y + ((<usize>b * n_out + r) << 2), acc0, acc1, min(8, r1 - r));
    }
  }
}

/**
 * What the batched kernels share across their tokens, for one group of eight rows: its codes as
 * offset bytes at scratch (nb·256), then each block's row scales as f32 (scales_lo, scales_hi:
 * 32 bytes per block) at the returned address, so no token repeats the scale work per block.
 */
function decode_group(wg: usize, sg: usize, nb: i32, scratch: usize, lut: v128, m: v128, tiny: v128, step: v128): usize {
  const sc = scratch + (<usize>nb << 8);
  for (let g = 0; g < nb; g++) {
    for (let v: usize = 0; v < 8; v++) {
      const c = v128.load(wg + <usize>g * CODES + (v << 4)), o = scratch + (<usize>g << 8) + (v << 5);
      v128.store(o, lo(c, lut, m)); v128.store(o, hi(c, lut, m), 16);
    }
    const e = scale_bytes(sg + (<usize>g << 3));
    v128.store(sc + (<usize>g << 5), scales_lo(e, tiny, step)); v128.store(sc + (<usize>g << 5), scales_hi(e, tiny, step), 16);
  }
  return sc;
}

@inline function rdot16(x: v128, w: v128): v128 { return i16x8.relaxed_dot_i8x16_i7x16_s(x, w); }

/**
 * One or two tokens (n, a constant where inlined: xq, and xq + xs) against one group of eight
 * rows, their products at y (and y + n_out·4): the codes decoded here (codes/scales at the group's
 * r8 blocks) or already decoded (`decoded`: the batched kernels' scratch, decode_group), each code
 * vector loaded or decoded once for all the tokens. One token keeps four accumulators, the low and
 * high nibbles apart, so no add waits on the one before it; two tokens keep a token's low and high
 * nibbles in one i16 sum each (p: token one, q: token two; 0: rows 0..3, 1: rows 4..7), from both
 * halves' lane corrections (|·| ≤ 24384, see rdot16).
 */
@inline function tokens(n: i32, decoded: bool, codes: usize, scales: usize, xq: usize, xs: usize, y: usize, nb: i32, n_out: i32, rows: i32,
                        lut: v128, m: v128, tiny: v128, step: v128, ones: v128): void {
  const xd = xq + <usize>nb * 32, xc = xd + <usize>nb * 8;
  let acc0 = f32x4.splat(0), acc1 = acc0, acc2 = acc0, acc3 = acc0;
  for (let g = 0; g < nb; g++) {
    const xb = xq + (<usize>g << 5), cg = xc + (<usize>g << 3);
    let p0: v128, p1: v128, q0: v128, q1: v128;
    if (n == 1) { p0 = v128.load32_splat(cg); p1 = p0; q0 = v128.load32_splat(cg, 4); q1 = q0; }
    else {
      p0 = i16x8.add(v128.load32_splat(cg), v128.load32_splat(cg, 4)); p1 = p0;
      q0 = i16x8.add(v128.load32_splat(cg + xs), v128.load32_splat(cg + xs, 4)); q1 = q0;
    }
    for (let j: usize = 0; j < 4; j++) {
      let w0: v128, w1: v128, w2: v128, w3: v128;
      if (decoded) {
        const o = codes + (<usize>g << 8) + (j << 6);
        w0 = v128.load(o); w1 = v128.load(o, 16); w2 = v128.load(o, 32); w3 = v128.load(o, 48);
      } else {
        const o = codes + <usize>g * CODES + (j << 5), c0 = v128.load(o), c1 = v128.load(o, 16);
        w0 = lo(c0, lut, m); w1 = hi(c0, lut, m); w2 = lo(c1, lut, m); w3 = hi(c1, lut, m);
      }
      const p = xb + (j << 2);
      // xh's address as a sum, not load32_splat(p, 16): JavaScriptCore turns an offset splat into a
      // scalar load and a splat, and one token ran 3–4 % slower that way (528 vs 548 µs, 5760×2880)
      let xl = v128.load32_splat(p), xh = v128.load32_splat(xb + 16 + (j << 2));
      if (n == 1) {
        p0 = i16x8.add(p0, rdot16(xl, w0)); q0 = i16x8.add(q0, rdot16(xh, w1));
        p1 = i16x8.add(p1, rdot16(xl, w2)); q1 = i16x8.add(q1, rdot16(xh, w3));
      } else {
        p0 = i16x8.add(p0, i16x8.add(rdot16(xl, w0), rdot16(xh, w1)));
        p1 = i16x8.add(p1, i16x8.add(rdot16(xl, w2), rdot16(xh, w3)));
        xl = v128.load32_splat(p + xs); xh = v128.load32_splat(p + xs, 16);
        q0 = i16x8.add(q0, i16x8.add(rdot16(xl, w0), rdot16(xh, w1)));
        q1 = i16x8.add(q1, i16x8.add(rdot16(xl, w2), rdot16(xh, w3)));
      }
    }
    let s0: v128, s1: v128;
    if (decoded) { s0 = v128.load(scales + (<usize>g << 5)); s1 = v128.load(scales + (<usize>g << 5), 16); }
    else { const sb = scale_bytes(scales + (<usize>g << 3)); s0 = scales_lo(sb, tiny, step); s1 = scales_hi(sb, tiny, step); }
    const gd = xd + (<usize>g << 2), d0 = f32x4.splat(load<f32>(gd) * 0.5);
    if (n == 1) {
      acc0 = scale_add(acc0, i32x4.dot_i16x8_s(i16x8.add(p0, q0), ones), s0, d0);
      acc1 = scale_add(acc1, i32x4.dot_i16x8_s(i16x8.add(p1, q1), ones), s1, d0);
    } else {
      const d1 = f32x4.splat(load<f32>(gd + xs) * 0.5);
      acc0 = scale_add(acc0, i32x4.dot_i16x8_s(p0, ones), s0, d0); acc1 = scale_add(acc1, i32x4.dot_i16x8_s(p1, ones), s1, d0);
      acc2 = scale_add(acc2, i32x4.dot_i16x8_s(q0, ones), s0, d1); acc3 = scale_add(acc3, i32x4.dot_i16x8_s(q1, ones), s1, d1);
    }
  }
  store_rows8(y, acc0, acc1, rows);
  if (n == 2) store_rows8(y + (<usize>n_out << 2), acc2, acc3, rows);
}

/**
 * matmul_mxfp4_q8_rdot with the i16 form of the relaxed dot (pmaddubsw alone on x86), summed in
 * i16 and widened to i32 once per block (a dot with ones, from the data segment). Each i16 lane
 * starts at its own share of the offset's correction (quant.ts c: −12·Σ of the eight activations
 * that meet it), so it ends at its exact Σ x·w, |·| ≤ 8·127·12 = 12192: the low- and high-nibble
 * accumulators then add in i16 (≤ 24384 < 2^15) and widen in one dot, and no i32 correction is
 * left. The i16 adds wrap, so only the final value has to fit; the relaxed dot's pair sums are
 * at most 2·127·24 = 6096 and never saturate. Fewer instructions where an engine lowers the i32
 * dot as pmaddubsw + pmaddwd + paddd, more where it has vpdpbusd; and in a loop, not written
 * out — JavaScriptCore runs long straight-line bodies slower. Measured in one process,
 * alternating, best of 15 (AMD EPYC, one thread, GB/s of weights, hot 256×2880 / cold sweep):
 * Bun rdot16 16.1 / 14.9 vs rdot 11.4 / 10.8; Deno rdot16 15.3 / 14.4 vs rdot 19.3 / 16.8. The
 * start-up probe picks per runtime. The lane corrections instead of one −12·Σx per block: best
 * µs per probe call 25.1–38.2 against 28.2–39.6 (six probes, same process, alternating; Zen 5,
 * Bun, a host whose load came and went).
 * One eight-row group a pass: four (32 rows against each activation splat; 127 instructions of
 * JavaScriptCore's loop per 256 weights against 164) ran 7–30 % faster hot on one thread, but
 * at two threads cold — decode — 18.1–19.5 GB/s against 24.7–25.6 (four code streams per thread),
 * and with the four groups' blocks interleaved in memory 24.3–24.7: no gain where it counts
 * (bench/kernels.ts, Zen 5, Bun, 2026-12-07, alternating builds).
 */
export function matmul_mxfp4_q8_rdot16(w: usize, x: usize, y: usize, n_in: i32, n_out: i32, B: i32, r0: i32, r1: i32): void {
  const nb = n_in >> 5, lut = v128.load(LUT_OFF), m = v128.load(NIBBLE), tiny = v128.load(SCALE_MIN), step = v128.load(SCALE_STEP), ones = v128.load(ONES16);
  const xs = <usize>nb * Q8_BLOCK; // one token's q8 row
  for (let r = r0; r < r1; r += 8) {
    const wg = group_codes(w, nb, r), sg = group_scales(w, nb, n_out, r);
    let b = 0;
    // Two tokens at a time share each code vector's decode (several streams' decode steps: an
    // expert chosen by two of them): 50 against 75 µs for two tokens, 97 against 145 for four
    // (256×2880, one thread, Zen 5, Bun, alternating); one token unchanged.
    for (; b + 2 <= B; b += 2) tokens(2, false, wg, sg, x + <usize>b * xs, xs, y + ((<usize>b * n_out + r) << 2), nb, n_out, min(8, r1 - r), lut, m, tiny, step, ones);
    for (; b < B; b++) tokens(1, false, wg, sg, x + <usize>b * xs, xs, y + ((<usize>b * n_out + r) << 2), nb, n_out, min(8, r1 - r), lut, m, tiny, step, ones);
  }
}

/**
 * Prefill form of matmul_mxfp4_q8_rdot16 (and of matmul_mxfp4_q8_rdot: the kernels' sums are the
 * same integers): each group of eight rows decoded to offset bytes and f32 row scales once into
 * `scratch` (nb·288 bytes, decode_group) for every token, lane-corrected i16 sums. Its i32-dot twin
 * ran slower under Deno too (35.0 against 37.9 GB/s of weights cold, 16 tokens, two threads, Zen 5),
 * so both variants take this one. Tokens go two at a time (tokens), each decoded code vector
 * loaded once for both. Measured in one process, alternating (Zen 5, Bun, one thread, 256×2880,
 * best of 10, median of eight rounds): 240 against 257 µs at 16 tokens, 893 against 972 at 63
 * (one token at a time before). Four tokens at a time ran slower than two (245, 920 µs:
 * JavaScriptCore spills), so did the four steps of a block written out (325, 1227 µs).
 */
export function matmul_mxfp4_q8_rdot16_batched(w: usize, x: usize, y: usize, n_in: i32, n_out: i32, B: i32, scratch: usize, r0: i32, r1: i32): void {
  const nb = n_in >> 5, lut = v128.load(LUT_OFF), m = v128.load(NIBBLE), tiny = v128.load(SCALE_MIN), step = v128.load(SCALE_STEP), ones = v128.load(ONES16);
  const xs = <usize>nb * Q8_BLOCK; // one token's q8 row
  for (let r = r0; r < r1; r += 8) {
    const wg = group_codes(w, nb, r), sg = group_scales(w, nb, n_out, r), rows = min(8, r1 - r);
    const sc = decode_group(wg, sg, nb, scratch, lut, m, tiny, step);
    let b = 0;
    for (; b + 2 <= B; b += 2) tokens(2, true, scratch, sc, x + <usize>b * xs, xs, y + ((<usize>b * n_out + r) << 2), nb, n_out, rows, lut, m, tiny, step, ones);
    if (b < B) tokens(1, true, scratch, sc, x + <usize>b * xs, xs, y + ((<usize>b * n_out + r) << 2), nb, n_out, rows, lut, m, tiny, step, ones); // the odd token
  }
}
