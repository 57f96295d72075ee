// Matrix-product kernels: each SIMD kernel against its AssemblyScript scalar twin and against an
// f64 reference built from the format traits' reference dequant (src/model/formats.ts).
import { describe, expect, test } from 'bun:test';
import { FORMATS, FP4_VALUES, f16ToF32, f32ToF16, rowBytes, type Format } from '../src/model/formats.ts';
import { MATMUL, actRowBytes, batchedScratch } from '../src/backends/cpu/kernels.ts';
import { layoutBytes, mxfp4R8Bytes, mxfp4R8Scratch, repackMxfp4R8, repackReference, type Layout } from '../src/backends/cpu/repack.ts';
import { buildModule } from '../src/backends/cpu/module.ts';
import { Scratch, rng } from './helpers/arena.ts';

/** f64 reference y[b][r] = Σ dequant(W)[r][c] · x[b][c]; also Σ|terms| for a relative tolerance. */
function reference(format: Format, w: Uint8Array, x: Float32Array, nIn: number, nOut: number, B: number) {
  const y = new Float64Array(B * nOut), mag = new Float64Array(B * nOut), row = new Float32Array(nIn);
  const rb = rowBytes(format, nIn);
  for (let r = 0; r < nOut; r++) {
    FORMATS[format].dequant(w.subarray(r * rb, (r + 1) * rb), row, nIn);
    for (let b = 0; b < B; b++) {
      let s = 0, m = 0;
      for (let c = 0; c < nIn; c++) { const t = row[c] * x[b * nIn + c]; s += t; m += Math.abs(t); }
      y[b * nOut + r] = s; mag[b * nOut + r] = m;
    }
  }
  return { y, mag };
}

/** Random canonical bytes for a format, covering its edge cases. */
function randomWeights(format: Format, nIn: number, nOut: number, rand: () => number, scale?: (r: number) => number): Uint8Array {
  const rb = rowBytes(format, nIn);
  const w = new Uint8Array(rb * nOut);
  const dv = new DataView(w.buffer);
  for (let r = 0; r < nOut; r++) {
    for (let i = 0; i < rb; i++) w[r * rb + i] = (rand() * 256) | 0;
    if (format === 'f32') for (let c = 0; c < nIn; c++) dv.setFloat32(r * rb + 4 * c, (rand() - 0.5) * 4, true);
    if (format === 'bf16') for (let c = 0; c < nIn; c++) dv.setUint16(r * rb + 2 * c, new Uint32Array(Float32Array.of((rand() - 0.5) * 4).buffer)[0] >>> 16, true);
    if (format === 'f16') for (let c = 0; c < nIn; c++) { // random finite halves, subnormals included
      let h = (rand() * 65536) | 0; if (((h >> 10) & 31) === 31) h &= ~0x4000; dv.setUint16(r * rb + 2 * c, h, true);
    }
    if (format === 'q8_0') for (let g = 0; g < nIn / 32; g++) dv.setUint16(r * rb + 34 * g, f32ToF16((rand() - 0.5) * 0.1), true);
    if (format === 'mxfp4') for (let g = 0; g < nIn / 32; g++) w[r * rb + 17 * g] = scale ? scale(r) : 120 + ((rand() * 14) | 0);
  }
  return w;
}

/** Canonical rows of a format in the layout a kernel reads (kernels.ts MATMUL), as the backend repacks them at load. */
function inLayout(kernel: string, format: Format, w: Uint8Array, nIn: number, nOut: number): Uint8Array {
  const layout: Layout = Object.values(MATMUL).flatMap((p) => Object.values(p)).find((k) => k.name === kernel)?.layout ?? 'rows';
  if (layout === 'rows') return w;
  const out = new Uint8Array(layoutBytes(layout, format, nOut, nIn));
  out.set(w);
  repackReference(layout, out, 0, nOut, nIn);
  return out;
}

function run(s: Scratch, kernel: string, w: Uint8Array, x: Float32Array, nIn: number, nOut: number, B: number, act: 'f32' | 'q8') {
  w = inLayout(kernel, kernel.includes('mxfp4') ? 'mxfp4' : kernel.includes('q8_0') ? 'q8_0' : 'f32', w, nIn, nOut);
  const W = s.u8(w), X = s.f32(x), Y = s.f32(B * nOut);
  let src = X.ptr;
  if (act === 'q8') { src = s.u8(actRowBytes('q8', nIn) * B).ptr; s.k.quantize_q8(X.ptr, src, nIn, B); }
  const k = s.k as unknown as Record<string, (...a: number[]) => void>;
  k[kernel](W.ptr, src, Y.ptr, nIn, nOut, B, 0, nOut);
  const simd = Y.get();
  k[kernel + '_ref'](W.ptr, src, Y.ptr, nIn, nOut, B, 0, nOut);
  return { simd, twin: Y.get() };
}

const SHAPES: [number, number, number][] = [[32, 1, 1], [64, 7, 3], [96, 9, 2], [160, 13, 5], [64, 4, 1], [32, 6, 2]];
const ODD_IN = [1, 3, 7, 37, 130];

describe('matmul kernels', () => {
  for (const format of Object.keys(MATMUL) as Format[]) {
    for (const precision of ['exact', 'fast'] as const) {
      const { name, act } = MATMUL[format][precision];
      test(`${name} (${format}, ${precision}) vs twin and f64 reference`, () => {
        const rand = rng(7 + format.length);
        const blockOnly = FORMATS[format].blockElems > 1;
        const shapes: [number, number, number][] = blockOnly ? SHAPES : [...SHAPES, ...ODD_IN.map((n, i) => [n, 3 + i, 1 + (i % 3)] as [number, number, number])];
        const s = new Scratch();
        for (const [nIn, nOut, B] of shapes) {
          const w = randomWeights(format, nIn, nOut, rand);
          const x = Float32Array.from({ length: B * nIn }, () => (rand() - 0.5) * 2);
          const { simd, twin } = run(s, name, w, x, nIn, nOut, B, act);
          const { y, mag } = reference(format, w, x, nIn, nOut, B);
          for (let i = 0; i < y.length; i++) {
            // exact: only f32 rounding of the sums; fast: the q8 activation error (≤ 1/254 of each block's max)
            const tol = act === 'f32' ? 1e-6 * mag[i] + 1e-30 : 1.5e-2 * mag[i];
            expect(Math.abs(simd[i] - y[i])).toBeLessThanOrEqual(tol);
            expect(Math.abs(simd[i] - twin[i])).toBeLessThanOrEqual(1e-6 * mag[i] + 1e-30);
          }
        }
      });
    }
  }

  test('f16 weights: every finite f16 code (subnormals, ±0) converts exactly in the SIMD kernel (f16x4_to_f32x4, also the Q8_0 block scales and f16 K/V)', () => {
    // 8 codes per row; a one-hot x picks column j, so y[r] is the converted code itself
    const codes = Array.from({ length: 65536 }, (_, h) => h).filter((h) => ((h >> 10) & 31) !== 31);
    const nIn = 8, nOut = Math.ceil(codes.length / nIn), s = new Scratch();
    const w = new Uint16Array(nIn * nOut);
    w.set(codes);
    const W = s.u8(new Uint8Array(w.buffer)), Y = s.f32(nOut);
    for (let j = 0; j < nIn; j++) {
      const X = s.f32(Float32Array.from({ length: nIn }, (_, c) => (c === j ? 1 : 0)));
      s.k.matmul_f16_f32(W.ptr, X.ptr, Y.ptr, nIn, nOut, 1, 0, nOut);
      const y = Y.get();
      for (let r = 0; r < nOut; r++) if (y[r] !== f16ToF32(w[r * nIn + j])) throw new Error(`f16 code 0x${w[r * nIn + j].toString(16)}: ${y[r]} ≠ ${f16ToF32(w[r * nIn + j])}`);
    }
  });

  test('mxfp4 kernels over every E8M0 exponent 0…254 and all 16 codes', () => {
    const s = new Scratch();
    const rand = rng(99);
    const nIn = 64, nOut = 5;
    for (let e = 0; e <= 254; e++) {
      const w = randomWeights('mxfp4', nIn, nOut, rand, () => e);
      for (let i = 0; i < 16; i++) w[1 + i] = (i << 4) | (15 - i); // row 0, block 0: every code, both nibbles
      // keep products finite: activations carry the opposite exponent
      const xs = 2 ** Math.max(-100, Math.min(100, 127 - e));
      const x = Float32Array.from({ length: nIn }, () => (rand() - 0.5) * 2 * xs);
      const { simd, twin } = run(s, 'matmul_mxfp4_f32', w, x, nIn, nOut, 1, 'f32');
      // f64 reference straight from spec §3.3 (an f32 dequant would overflow at e ≥ 253)
      const y = new Float64Array(nOut), mag = new Float64Array(nOut);
      for (let r = 0; r < nOut; r++) for (let c = 0; c < nIn; c++) {
        const o = r * 34 + 17 * (c >> 5), j = c & 31;
        const code = j < 16 ? w[o + 1 + j] & 15 : w[o + 1 + j - 16] >> 4;
        const t = FP4_VALUES[code] * 2 ** (w[o] - 127) * x[c];
        y[r] += t; mag[r] += Math.abs(t);
      }
      for (let i = 0; i < nOut; i++) {
        expect(Math.abs(simd[i] - y[i])).toBeLessThanOrEqual(1e-6 * mag[i]);
        expect(Math.abs(twin[i] - y[i])).toBeLessThanOrEqual(1e-6 * mag[i]);
      }
    }
  });

  /**
   * One-token kernel and its batched (prefill) form on the same q8 activations; the batched form
   * also in two calls split at row `split` (a thread's chunk starts on a group boundary).
   */
  function oneAndBatched(s: Scratch, format: 'mxfp4' | 'q8_0', canon: Uint8Array, x: Float32Array, nIn: number, nOut: number, B: number, split = 0) {
    const w = inLayout(`matmul_${format}_q8`, format, canon, nIn, nOut);
    const W = s.u8(w), X = s.f32(x), Q = s.u8(actRowBytes('q8', nIn) * B), Y1 = s.f32(B * nOut), Y2 = s.f32(B * nOut);
    const scr = s.u8(batchedScratch(nIn, B, s.k.Q8_PASS.value));
    const k = s.k as unknown as Record<string, (...a: number[]) => void>;
    s.k.quantize_q8(X.ptr, Q.ptr, nIn, B);
    k[`matmul_${format}_q8`](W.ptr, Q.ptr, Y1.ptr, nIn, nOut, B, 0, nOut);
    k[`matmul_${format}_q8_batched`](W.ptr, Q.ptr, Y2.ptr, nIn, nOut, B, scr.ptr, 0, nOut);
    if (!split) return [Y1.get(), Y2.get()];
    const Y3 = s.f32(B * nOut);
    k[`matmul_${format}_q8_batched`](W.ptr, Q.ptr, Y3.ptr, nIn, nOut, B, scr.ptr, 0, split);
    k[`matmul_${format}_q8_batched`](W.ptr, Q.ptr, Y3.ptr, nIn, nOut, B, scr.ptr, split, nOut);
    return [Y1.get(), Y2.get(), Y3.get()];
  }

  test('matmul_mxfp4_q8_batched equals the one-token kernel bit for bit: odd row counts, 2 to 33 tokens, split rows', () => {
    const s = new Scratch(), rand = rng(12);
    for (const [nIn, nOut, B] of [[64, 13, 2], [96, 8, 5], [2880 / 10, 40, 7], [64, 21, 4], [96, 12, 19], [32, 16, 33]]) {
      const [one, batched, split] = oneAndBatched(s, 'mxfp4', randomWeights('mxfp4', nIn, nOut, rand), Float32Array.from({ length: B * nIn }, () => rand() - 0.5), nIn, nOut, B, 8);
      expect([...batched]).toEqual([...one]);
      expect([...split]).toEqual([...one]);
    }
  });

  test('matmul_q8_0_q8_batched equals the one-token kernel bit for bit: odd row counts, four-token tiles and their tails, several passes, split rows', () => {
    const s = new Scratch(), rand = rng(13), pass = s.k.Q8_PASS.value;
    const cases = [[64, 13, 2], [96, 8, 5], [288, 6, 3], [64, 13, 4], [96, 9, pass], [64, 7, pass + 5], [32, 12, 2 * pass + 3]];
    for (const [nIn, nOut, B] of cases) {
      const [one, batched, split] = oneAndBatched(s, 'q8_0', randomWeights('q8_0', nIn, nOut, rand), Float32Array.from({ length: B * nIn }, () => rand() - 0.5), nIn, nOut, B, 4);
      expect([...batched]).toEqual([...one]);
      expect([...split]).toEqual([...one]);
    }
  });

  for (const layout of ['r4', 'r4s'] as const) {
  const module = buildModule(layout === 'r4' ? 'baseline' : 'relaxed');
  test.skipIf(!module)(`repack_q8_0_${layout} (wasm) equals the reference repack, partial last group included; ${layout} holds every code of every row`, () => {
    const s = new Scratch(module!), rand = rng(14);
    for (const [rows, cols] of [[13, 64], [8, 96], [1, 32], [5760 / 40, 2880 / 10]]) {
      const canon = randomWeights('q8_0', cols, rows, rand);
      const ref = new Uint8Array(layoutBytes(layout, 'q8_0', rows, cols));
      ref.set(canon);
      repackReference(layout, ref, 0, rows, cols);
      const W = s.u8(ref.length), tmp = s.u8(4 * rowBytes('q8_0', cols));
      s.a.u8.set(canon, W.ptr);
      s.k[`repack_q8_0_${layout}`](W.ptr, rows, cols, tmp.ptr);
      expect(Buffer.compare(W.get(), ref)).toBe(0);
      // the layout is a permutation of each group's bytes (padding rows: zeros)
      const rb = rowBytes('q8_0', cols);
      for (let k = 0; k < Math.ceil(rows / 4); k++) {
        const want = new Uint8Array(4 * rb); want.set(canon.subarray(k * 4 * rb, Math.min(rows, k * 4 + 4) * rb));
        expect([...ref.subarray(k * 4 * rb, (k + 1) * 4 * rb)].sort()).toEqual([...want].sort());
      }
    }
  });
  }

  test('repack_mxfp4_r8 (wasm) equals the reference repack, partial last group included', () => {
    const s = new Scratch(), rand = rng(11);
    for (const [rows, cols] of [[13, 64], [8, 96], [1, 32], [5760 / 40, 2880 / 10]]) {
      const canon = randomWeights('mxfp4', cols, rows, rand);
      const ref = new Uint8Array(mxfp4R8Bytes(rows, cols));
      ref.set(canon);
      repackMxfp4R8(ref, 0, rows, cols);
      const W = s.u8(ref.length), tmp = s.u8(mxfp4R8Scratch(rows, cols));
      s.a.u8.set(canon, W.ptr);
      s.k.repack_mxfp4_r8(W.ptr, rows, cols, tmp.ptr);
      expect(Buffer.compare(W.get(), ref)).toBe(0);
    }
  });

  test('mxfp4 reference dequant: the spec §3.6 worked block and every code × exponent', () => {
    const blk = Uint8Array.of(0x80, 0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87, 0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe, 0x0f);
    const out = new Float32Array(32);
    FORMATS.mxfp4.dequant(blk, out, 32);
    expect([...out]).toEqual([0, 1, 2, 3, 4, 6, 8, 12, -0, -1, -2, -3, -4, -6, -8, -12, 1, 2, 3, 4, 6, 8, 12, -0, -1, -2, -3, -4, -6, -8, -12, 0]);
    for (let e = 0; e <= 254; e++) for (let c = 0; c < 16; c++) {
      const b = new Uint8Array(17); b[0] = e; b[1] = c;
      FORMATS.mxfp4.dequant(b, out, 32);
      expect(out[0]).toBe(Math.fround(FP4_VALUES[c] * 2 ** (e - 127)));
    }
  });

  test('batch and single-row calls give bit-identical rows (all kernels)', () => {
    const s = new Scratch();
    const rand = rng(5);
    for (const format of Object.keys(MATMUL) as Format[]) for (const precision of ['exact', 'fast'] as const) {
      const { name, act } = MATMUL[format][precision];
      const nIn = 96, nOut = 11, B = 4;
      const w = randomWeights(format, nIn, nOut, rand);
      const x = Float32Array.from({ length: B * nIn }, () => rand() - 0.5);
      const all = run(s, name, w, x, nIn, nOut, B, act).simd;
      for (let b = 0; b < B; b++) {
        const one = run(s, name, w, x.subarray(b * nIn, (b + 1) * nIn), nIn, nOut, 1, act).simd;
        expect([...one]).toEqual([...all.subarray(b * nOut, (b + 1) * nOut)]);
      }
    }
  });
});
