// Dense matrix products y[b][r] = Σ_c W[r][c] · x[b][c] for W in f32 / bf16 / f16 / q8_0 rows.
// Layout: W row-major [out][in] in the format's canonical bytes (src/model/formats.ts);
// x [B][in] f32; y [B][out] f32. (Q8_0 × q8 activations, the fast path, reads the r4 layout: q8_0_r4.ts.)
// Rows [r0, r1) only, so threads split the output. Every row goes through the same dot function
// whatever B is: batch and token-by-token evaluation give bit-identical results.
import { hsum, f16_to_f32, f16x4_to_f32x4 } from './common';

// ---- f32 weights ------------------------------------------------------------------------------
@inline function dot_f32(w: usize, x: usize, n: i32): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    a0 = f32x4.add(a0, f32x4.mul(v128.load(w + o), v128.load(x + o)));
    a1 = f32x4.add(a1, f32x4.mul(v128.load(w + o, 16), v128.load(x + o, 16)));
  }
  for (; i + 4 <= n; i += 4) a0 = f32x4.add(a0, f32x4.mul(v128.load(w + (<usize>i << 2)), v128.load(x + (<usize>i << 2))));
  let s = hsum(f32x4.add(a0, a1));
  for (; i < n; i++) s += load<f32>(w + (<usize>i << 2)) * load<f32>(x + (<usize>i << 2));
  return s;
}

export function matmul_f32_f32(w: usize, x: usize, y: usize, n_in: i32, n_out: i32, B: i32, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) {
    const row = w + <usize>r * <usize>n_in * 4;
    for (let b = 0; b < B; b++) store<f32>(y + ((<usize>b * n_out + r) << 2), dot_f32(row, x + <usize>b * n_in * 4, n_in));
  }
}

export function matmul_f32_f32_ref(w: usize, x: usize, y: usize, n_in: i32, n_out: i32, B: i32, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) for (let b = 0; b < B; b++) {
    let s: f32 = 0;
    for (let c = 0; c < n_in; c++) s += load<f32>(w + ((<usize>r * n_in + c) << 2)) * load<f32>(x + ((<usize>b * n_in + c) << 2));
    store<f32>(y + ((<usize>b * n_out + r) << 2), s);
  }
}

// ---- bf16 weights: f32 bits = bf16 << 16 (spec §2.2) -----------------------------------------
@inline function dot_bf16(w: usize, x: usize, n: i32): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const h = v128.load(w + (<usize>i << 1));
    const o = <usize>i << 2;
    a0 = f32x4.add(a0, f32x4.mul(i32x4.shl(i32x4.extend_low_i16x8_u(h), 16), v128.load(x + o)));
    a1 = f32x4.add(a1, f32x4.mul(i32x4.shl(i32x4.extend_high_i16x8_u(h), 16), v128.load(x + o, 16)));
  }
  let s = hsum(f32x4.add(a0, a1));
  for (; i < n; i++) s += reinterpret<f32>(<u32>load<u16>(w + (<usize>i << 1)) << 16) * load<f32>(x + (<usize>i << 2));
  return s;
}

export function matmul_bf16_f32(w: usize, x: usize, y: usize, n_in: i32, n_out: i32, B: i32, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) {
    const row = w + <usize>r * <usize>n_in * 2;
    for (let b = 0; b < B; b++) store<f32>(y + ((<usize>b * n_out + r) << 2), dot_bf16(row, x + <usize>b * n_in * 4, n_in));
  }
}

export function matmul_bf16_f32_ref(w: usize, x: usize, y: usize, n_in: i32, n_out: i32, B: i32, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) for (let b = 0; b < B; b++) {
    let s: f32 = 0;
    for (let c = 0; c < n_in; c++) s += reinterpret<f32>(<u32>load<u16>(w + ((<usize>r * n_in + c) << 1)) << 16) * load<f32>(x + ((<usize>b * n_in + c) << 2));
    store<f32>(y + ((<usize>b * n_out + r) << 2), s);
  }
}

// ---- f16 weights --------------------------------------------------------------------------------
@inline function dot_f16(w: usize, x: usize, n: i32): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const h = v128.load(w + (<usize>i << 1));
    const o = <usize>i << 2;
    a0 = f32x4.add(a0, f32x4.mul(f16x4_to_f32x4(i32x4.extend_low_i16x8_s(h)), v128.load(x + o)));
    a1 = f32x4.add(a1, f32x4.mul(f16x4_to_f32x4(i32x4.extend_high_i16x8_s(h)), v128.load(x + o, 16)));
  }
  let s = hsum(f32x4.add(a0, a1));
  for (; i < n; i++) s += f16_to_f32(load<u16>(w + (<usize>i << 1))) * load<f32>(x + (<usize>i << 2));
  return s;
}

export function matmul_f16_f32(w: usize, x: usize, y: usize, n_in: i32, n_out: i32, B: i32, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) {
    const row = w + <usize>r * <usize>n_in * 2;
    for (let b = 0; b < B; b++) store<f32>(y + ((<usize>b * n_out + r) << 2), dot_f16(row, x + <usize>b * n_in * 4, n_in));
  }
}

export function matmul_f16_f32_ref(w: usize, x: usize, y: usize, n_in: i32, n_out: i32, B: i32, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) for (let b = 0; b < B; b++) {
    let s: f32 = 0;
    for (let c = 0; c < n_in; c++) s += f16_to_f32(load<u16>(w + ((<usize>r * n_in + c) << 1))) * load<f32>(x + ((<usize>b * n_in + c) << 2));
    store<f32>(y + ((<usize>b * n_out + r) << 2), s);
  }
}

// ---- q8_0 weights (34-byte blocks: f16 d, i8 q[32]) × f32 activations ------------------------------
@inline function i8x4_f32(q: v128): v128 { return f32x4.convert_i32x4_s(q); }

@inline function dot_q8_0_f32(w: usize, x: usize, nb: i32): f32 {
  let acc = f32x4.splat(0);
  for (let g = 0; g < nb; g++) {
    const blk = w + <usize>g * 34;
    const xs = x + (<usize>g << 7);
    const d = f32x4.splat(f16_to_f32(load<u16>(blk)));
    const q0 = v128.load(blk, 2), q1 = v128.load(blk, 18);
    const l0 = i16x8.extend_low_i8x16_s(q0), h0 = i16x8.extend_high_i8x16_s(q0);
    const l1 = i16x8.extend_low_i8x16_s(q1), h1 = i16x8.extend_high_i8x16_s(q1);
    let s = f32x4.mul(i8x4_f32(i32x4.extend_low_i16x8_s(l0)), v128.load(xs));
    s = f32x4.add(s, f32x4.mul(i8x4_f32(i32x4.extend_high_i16x8_s(l0)), v128.load(xs, 16)));
    s = f32x4.add(s, f32x4.mul(i8x4_f32(i32x4.extend_low_i16x8_s(h0)), v128.load(xs, 32)));
    s = f32x4.add(s, f32x4.mul(i8x4_f32(i32x4.extend_high_i16x8_s(h0)), v128.load(xs, 48)));
    s = f32x4.add(s, f32x4.mul(i8x4_f32(i32x4.extend_low_i16x8_s(l1)), v128.load(xs, 64)));
    s = f32x4.add(s, f32x4.mul(i8x4_f32(i32x4.extend_high_i16x8_s(l1)), v128.load(xs, 80)));
    s = f32x4.add(s, f32x4.mul(i8x4_f32(i32x4.extend_low_i16x8_s(h1)), v128.load(xs, 96)));
    s = f32x4.add(s, f32x4.mul(i8x4_f32(i32x4.extend_high_i16x8_s(h1)), v128.load(xs, 112)));
    acc = f32x4.add(acc, f32x4.mul(s, d));
  }
  return hsum(acc);
}

export function matmul_q8_0_f32(w: usize, x: usize, y: usize, n_in: i32, n_out: i32, B: i32, r0: i32, r1: i32): void {
  const nb = n_in >> 5;
  for (let r = r0; r < r1; r++) {
    const row = w + <usize>r * <usize>nb * 34;
    for (let b = 0; b < B; b++) store<f32>(y + ((<usize>b * n_out + r) << 2), dot_q8_0_f32(row, x + <usize>b * n_in * 4, nb));
  }
}

export function matmul_q8_0_f32_ref(w: usize, x: usize, y: usize, n_in: i32, n_out: i32, B: i32, r0: i32, r1: i32): void {
  const nb = n_in >> 5;
  for (let r = r0; r < r1; r++) for (let b = 0; b < B; b++) {
    let s: f32 = 0;
    for (let g = 0; g < nb; g++) {
      const blk = w + (<usize>r * nb + g) * 34;
      const d = f16_to_f32(load<u16>(blk));
      for (let k = 0; k < 32; k++) s += d * <f32>load<i8>(blk + 2 + k) * load<f32>(x + ((<usize>b * n_in + g * 32 + k) << 2));
    }
    store<f32>(y + ((<usize>b * n_out + r) << 2), s);
  }
}
