// Every kernel variant (src/backends/cpu/kernels.ts VARIANTS) this runtime can compile, against
// the scalar twin of the kernel it replaces and against the baseline kernel: all 16 FP4 codes,
// the extreme E8M0 exponents 0, 1, 127, 254 (255 is NaN and refused at load), row counts that
// are not a multiple of the eight-row group, odd block counts, one and several tokens.
import { describe, expect, test } from 'bun:test';
import { rowBytes } from '../src/model/formats.ts';
import { MATMUL, VARIANTS, actRowBytes, batchedScratch, matmulKernel } from '../src/backends/cpu/kernels.ts';
import { buildModule } from '../src/backends/cpu/module.ts';
import { REPACK_KERNEL, layoutBytes, mxfp4R8Bytes, repackMxfp4R8, type Layout } from '../src/backends/cpu/repack.ts';
import { availableVariants, resolveVariant } from '../src/backends/cpu/variants.ts';
import { Scratch, rng } from './helpers/arena.ts';

type Fn = (...a: number[]) => void;

/** Canonical MXFP4 rows: random codes (row 0 block 0 holds all 16 in both nibbles), scales from `scale`. */
function mxfp4Rows(nIn: number, nOut: number, rand: () => number, scale: (r: number, g: number) => number): Uint8Array {
  const rb = rowBytes('mxfp4', nIn), w = new Uint8Array(rb * nOut);
  for (let i = 0; i < w.length; i++) w[i] = (rand() * 256) | 0;
  for (let r = 0; r < nOut; r++) for (let g = 0; g < nIn / 32; g++) w[r * rb + 17 * g] = scale(r, g);
  for (let i = 0; i < 16; i++) w[1 + i] = (i << 4) | (15 - i);
  return w;
}

/** One q8 product per kernel name on the same repacked weights and activations; y as bits. */
function products(s: Scratch, canon: Uint8Array, x: Float32Array, nIn: number, nOut: number, B: number, names: string[]) {
  const w = new Uint8Array(mxfp4R8Bytes(nOut, nIn));
  w.set(canon);
  repackMxfp4R8(w, 0, nOut, nIn);
  const W = s.u8(w), X = s.f32(x), Q = s.u8(actRowBytes('q8', nIn) * B), scr = s.u8(batchedScratch(nIn, B, s.k.Q8_PASS.value));
  const k = s.k as unknown as Record<string, Fn>;
  s.k.quantize_q8(X.ptr, Q.ptr, nIn, B);
  return names.map((name) => {
    const Y = s.f32(B * nOut);
    // `name@8`: in row shares of eight rows, as threads may take them
    const [fn, share] = name.split('@'), step = share ? Number(share) : nOut;
    for (let r0 = 0; r0 < nOut; r0 += step) {
      const r1 = Math.min(nOut, r0 + step);
      if (fn.endsWith('_batched')) k[fn](W.ptr, Q.ptr, Y.ptr, nIn, nOut, B, scr.ptr, r0, r1);
      else k[fn](W.ptr, Q.ptr, Y.ptr, nIn, nOut, B, r0, r1);
    }
    return new Uint32Array(Y.get().buffer);
  });
}

// B from one token to 36 (the batched kernels take any number; prefill passes bring up to 128);
// up to 77 rows, so that row shares (as threads take them) cut between groups
const SHAPES: [number, number, number][] = [[32, 1, 1], [64, 5, 1], [96, 13, 2], [160, 8, 3], [288, 17, 1], [2880 / 10, 24, 4], [64, 9, 7], [96, 12, 21], [32, 7, 36],
  [64, 32, 1], [96, 43, 2], [32, 77, 3]];
const EXTREME = [0, 1, 127, 254];

describe('kernel variants', () => {
  test('the runtime compiles at least the baseline; auto resolves to a compilable variant', () => {
    expect(availableVariants()).toContain('baseline');
    expect(availableVariants()).toContain(resolveVariant('auto').name);
  });

  for (const v of Object.keys(VARIANTS)) {
    const module = buildModule(VARIANTS[v].build);
    test.skipIf(!module)(`${v}: MXFP4×q8 (one-token and batched) = scalar twin = baseline, bit for bit`, () => {
      const s = new Scratch(module!), rand = rng(31 + v.length);
      const kern = matmulKernel('mxfp4', 'fast', v), base = MATMUL.mxfp4.fast;
      const names = [kern.name, kern.batched!, base.name, base.batched!, 'matmul_mxfp4_q8_ref', `${kern.name}@8`, `${kern.name}@40`, `${kern.batched}@8`];
      for (const [nIn, nOut, B] of SHAPES) {
        for (const scale of [(r: number, g: number) => 118 + ((r + g) % 12), (r: number, g: number) => EXTREME[(r + 3 * g) % 4]]) {
          const w = mxfp4Rows(nIn, nOut, rand, scale);
          // activations spanning magnitudes, an all-zero block and ±full-scale values
          const x = Float32Array.from({ length: B * nIn }, (_, i) => (i % 97 === 5 ? -1 : (rand() - 0.5)) * 2 ** ((i % 7) - 3));
          if (nIn >= 64) x.fill(0, 32, 64);
          const [one, batched, bOne, bBatched, twin, by8, by40, batchedBy8] = products(s, w, x, nIn, nOut, B, names);
          expect([...one]).toEqual([...twin]);
          expect([...by8]).toEqual([...twin]);
          expect([...by40]).toEqual([...twin]);
          expect([...batchedBy8]).toEqual([...twin]);
          expect([...batched]).toEqual([...twin]);
          expect([...bOne]).toEqual([...twin]);
          expect([...bBatched]).toEqual([...twin]);
        }
      }
    });

    test.skipIf(!module)(`${v}: Q8_0×q8 = the r4 scalar twin = the r4 kernels, bit for bit, on its layout; codes ±127, 0, −1; 1 to 9 tokens`, () => {
      const s = new Scratch(module!), rand = rng(57 + v.length), base = MATMUL.q8_0.fast, kern = matmulKernel('q8_0', 'fast', v);
      const k = s.k as unknown as Record<string, Fn>;
      for (const [nIn, nOut, B] of [[32, 1, 1], [64, 5, 2], [96, 13, 4], [160, 8, 5], [288, 17, 9], [2880 / 10, 24, 1], [64, 9, 7]]) {
        const rb = rowBytes('q8_0', nIn), canon = new Uint8Array(rb * nOut), dv = new DataView(canon.buffer);
        for (let r = 0; r < nOut; r++) for (let g = 0; g < nIn / 32; g++) {
          dv.setUint16(r * rb + 34 * g, 0x2000 + (((r * 7 + g) * 37) & 0x3ff), true);
          for (let q = 0; q < 32; q++) {
            const u = rand(), c = q === 0 ? 127 : q === 1 ? -127 : q === 2 ? 0 : q === 3 ? -1 : Math.round((u - 0.5) * 254);
            dv.setInt8(r * rb + 34 * g + 2 + q, c);
          }
        }
        const x = Float32Array.from({ length: B * nIn }, (_, i) => (i % 89 === 3 ? 1 : rand() - 0.5) * 2 ** ((i % 5) - 2));
        const out = (layout: Layout, names: string[]) => {
          const W = s.u8(layoutBytes(layout, 'q8_0', nOut, nIn)), tmp = s.u8(4 * rb), X = s.f32(x), Q = s.u8(actRowBytes('q8', nIn) * B);
          const scr = s.u8(batchedScratch(nIn, B, s.k.Q8_PASS.value));
          s.a.u8.set(canon, W.ptr);
          k[REPACK_KERNEL[layout]!](W.ptr, nOut, nIn, tmp.ptr);
          s.k.quantize_q8(X.ptr, Q.ptr, nIn, B);
          return names.map((name) => {
            const Y = s.f32(B * nOut);
            if (name.endsWith('_batched')) k[name](W.ptr, Q.ptr, Y.ptr, nIn, nOut, B, scr.ptr, 0, nOut);
            else k[name](W.ptr, Q.ptr, Y.ptr, nIn, nOut, B, 0, nOut);
            return [...new Uint32Array(Y.get().buffer)];
          });
        };
        const [twin, one, batched] = out('r4', ['matmul_q8_0_q8_ref', base.name, base.batched!]);
        expect(one).toEqual(twin);
        expect(batched).toEqual(twin);
        for (const y of out(kern.layout, [kern.name, ...(kern.batched ? [kern.batched] : [])])) expect(y).toEqual(twin);
      }
    });

    test.skipIf(!module)(`${v}: the largest integer sums (codes ±6 against activations ±127 everywhere) = scalar twin`, () => {
      const s = new Scratch(module!), nIn = 96, nOut = 40, B = 3;
      const kern = matmulKernel('mxfp4', 'fast', v), rb = rowBytes('mxfp4', nIn);
      // rows of all +6 (0x77), all −6 (0xff), and halves of each; every scale 2^0
      const w = new Uint8Array(rb * nOut);
      for (let r = 0; r < nOut; r++) for (let g = 0; g < nIn / 32; g++) {
        w[r * rb + 17 * g] = 127;
        w.fill(r % 3 === 0 ? 0x77 : r % 3 === 1 ? 0xff : 0x7f, r * rb + 17 * g + 1, r * rb + 17 * g + 17);
      }
      const x = Float32Array.from({ length: B * nIn }, (_, i) => (i < nIn ? 1 : i < 2 * nIn ? -1 : ((i >> 5) & 1 ? 1 : -1)));
      const [one, batched, twin] = products(s, w, x, nIn, nOut, B, [kern.name, kern.batched!, 'matmul_mxfp4_q8_ref']);
      expect([...one]).toEqual([...twin]);
      expect([...batched]).toEqual([...twin]);
      expect(new Float32Array(twin.buffer)[0]).toBeCloseTo(nIn * 6, 0); // 96 · 6 · 1 · (127 · d ≈ 1)
    });

    test.skipIf(!module)(`${v}: every fast kernel it swaps in has a twin and the same activation format`, () => {
      for (const [format, k] of Object.entries(VARIANTS[v].fast)) {
        const base = MATMUL[format as keyof typeof MATMUL].fast;
        expect(WebAssembly.Module.exports(module!).map((e) => e.name)).toEqual(expect.arrayContaining([k!.name, ...(k!.batched ? [k!.batched] : []), `${base.name}_ref`]));
      }
    });
  }

  test('q8_0_has_min_code finds a −128 code anywhere in the rows (the r4s layout cannot hold it); the kernel of a refused layout is the base one', () => {
    const module = buildModule('relaxed');
    if (!module) return;
    const s = new Scratch(module), nIn = 96, rows = 5, rb = rowBytes('q8_0', nIn), w = new Uint8Array(rb * rows).fill(0x81);
    const W = s.u8(w);
    expect(s.k.q8_0_has_min_code(W.ptr, rows, nIn)).toBe(0);
    for (const at of [2, 33, 34 * 3 + 2 + 31, 4 * rb + 34 * 2 + 20]) {
      s.a.u8[W.ptr + at] = 0x80;
      expect(s.k.q8_0_has_min_code(W.ptr, rows, nIn)).toBe(1);
      s.a.u8[W.ptr + at] = 0x81;
    }
    s.a.u8[W.ptr + 34] = 0x80; // a scale byte, not a code
    expect(s.k.q8_0_has_min_code(W.ptr, rows, nIn)).toBe(0);
    expect(matmulKernel('q8_0', 'fast', 'relaxed16', 'r4').name).toBe(MATMUL.q8_0.fast.name);
    expect(matmulKernel('q8_0', 'fast', 'relaxed16', 'r4s').name).toBe('matmul_q8_0_q8_sign');
    expect(() => matmulKernel('q8_0', 'fast', 'relaxed16', 'r8')).toThrow(/no q8_0 fast kernel reads the r8 layout/);
  });

  test('a variant name that does not exist is refused', () => {
    expect(() => resolveVariant('no-such-variant')).toThrow(/expected auto or one of/);
  });
});
