// Element-wise and attention kernels against their scalar twins and f64 references (spec §4).
import { describe, expect, test } from 'bun:test';
import { f16ToF32, f32ToF16 } from '../src/model/formats.ts';
import { Q8_BLOCK_BYTES, actRowBytes } from '../src/backends/cpu/kernels.ts';
import { Scratch, maxAbsDiff, rng } from './helpers/arena.ts';

/**
 * Random q, K/V rows for positions 0…cap−1 (kc, vc: [cap][nkv·hd], values in ±spread/2) and sinks
 * for an attention call; the rows stored through kv_store_f32 and kv_store_f16 into f32 rings (K, V)
 * and f16 rings (Kh, Vh), [nkv][cap][hd].
 */
function attentionCase(s: Scratch, rand: () => number, nq: number, nkv: number, hd: number, B: number, cap: number, spread: number) {
  const kvw = nkv * hd;
  const q = Float32Array.from({ length: B * nq * hd }, () => rand() - 0.5);
  const kc = Float32Array.from({ length: cap * kvw }, () => (rand() - 0.5) * spread), vc = Float32Array.from({ length: cap * kvw }, () => (rand() - 0.5) * spread);
  const sinks = Float32Array.from({ length: nq }, () => rand() * 2 - 1);
  const rowsK = s.f32(kc), rowsV = s.f32(vc);
  const K = s.u8(cap * kvw * 4), V = s.u8(cap * kvw * 4), Kh = s.u8(cap * kvw * 2), Vh = s.u8(cap * kvw * 2);
  for (const [rows, f32, f16] of [[rowsK, K, Kh], [rowsV, V, Vh]]) {
    s.k.kv_store_f32(rows.ptr, f32.ptr, nkv, hd, 0, cap, cap);
    s.k.kv_store_f16(rows.ptr, f16.ptr, nkv, hd, 0, cap, cap);
  }
  return { kvw, q, kc, vc, sinks, K, V, Kh, Vh, Q: s.f32(q), S: s.f32(sinks), O: s.f32(B * nq * hd) };
}

describe('kernels', () => {
  test('rmsnorm: SIMD = twin, ≈ f64 reference; odd widths', () => {
    const s = new Scratch(), rand = rng(1);
    for (const n of [1, 5, 64, 131]) {
      const B = 3;
      const x = Float32Array.from({ length: B * n }, () => (rand() - 0.5) * 10), w = Float32Array.from({ length: n }, () => rand() * 2);
      const X = s.f32(x), W = s.f32(w), Y = s.f32(B * n);
      s.k.rmsnorm(X.ptr, W.ptr, Y.ptr, n, B, 1e-5);
      const simd = Y.get();
      s.k.rmsnorm_ref(X.ptr, W.ptr, Y.ptr, n, B, 1e-5);
      expect(maxAbsDiff(simd, Y.get())).toBeLessThan(1e-5);
      for (let b = 0; b < B; b++) {
        let ss = 0; for (let i = 0; i < n; i++) ss += x[b * n + i] ** 2;
        const r = 1 / Math.sqrt(ss / n + 1e-5);
        for (let i = 0; i < n; i++) expect(Math.abs(simd[b * n + i] - w[i] * x[b * n + i] * r)).toBeLessThan(1e-5 * (1 + Math.abs(w[i] * x[b * n + i] * r)));
      }
    }
  });

  test('rope_neox rotates dim i with i + d/2 (spec §4.5.1); head dims not a multiple of 8', () => {
    const s = new Scratch(), rand = rng(2);
    for (const hd of [64, 12, 6]) {
      const nh = 3, B = 2, half = hd / 2;
      const x = Float32Array.from({ length: B * nh * hd }, () => rand() - 0.5);
      const cs = Float32Array.from({ length: B * hd }, () => rand() * 2 - 1);
      const X = s.f32(x), C = s.f32(cs);
      s.k.rope_neox(X.ptr, C.ptr, nh, hd, B);
      const simd = X.get();
      const X2 = s.f32(x);
      s.k.rope_neox_ref(X2.ptr, C.ptr, nh, hd, B);
      expect(maxAbsDiff(simd, X2.get())).toBeLessThan(1e-6);
      for (let b = 0; b < B; b++) for (let h = 0; h < nh; h++) for (let i = 0; i < half; i++) {
        const o = (b * nh + h) * hd, c = cs[b * hd + i], sn = cs[b * hd + half + i];
        expect(simd[o + i]).toBeCloseTo(x[o + i] * c - x[o + i + half] * sn, 5);
        expect(simd[o + i + half]).toBeCloseTo(x[o + i + half] * c + x[o + i] * sn, 5);
      }
    }
  });

  test('swiglu_oai: spec §4.6 activation values, clamps', () => {
    const s = new Scratch();
    const cases: [number, number, number][] = [[10, 10, 55.99962502642654], [-10, -10, 2.434776776913187e-06], [1, 0, 0.8457957659328212],
      [0.5, -0.5, 0.17519421830319007], [-1, 2, -0.4626127022015361], [7, -8, -41.99971876981991]];
    const U = s.f32(cases.flatMap(([g, l]) => [g, l])), A = s.f32(cases.length);
    s.k.swiglu_oai(U.ptr, A.ptr, cases.length, 1, 1.702, 7);
    const a = A.get();
    cases.forEach(([, , want], i) => expect(Math.abs(a[i] - want)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want))));
  });

  test('swiglu_oai (SIMD, polynomial exp) = its Mathf.exp twin within 4 ulp: random values, both clamps, exp at both ends, odd lengths, NaN', () => {
    const s = new Scratch(), rand = rng(21);
    for (const [I, B] of [[1, 1], [3, 2], [4, 1], [2880, 2], [37, 3]]) {
      const u = Float32Array.from({ length: B * 2 * I }, (_, i) => {
        const k = i % 97;
        return k === 0 ? 60 : k === 1 ? -60 : k === 2 ? -1e30 : k === 3 ? 1e30 : k === 4 ? 0 : k === 5 ? -0 : k === 6 ? NaN : (rand() - 0.5) * 40;
      });
      const U = s.f32(u), A = s.f32(B * I), R = s.f32(B * I);
      s.k.swiglu_oai(U.ptr, A.ptr, I, B, 1.702, 7);
      s.k.swiglu_oai_ref(U.ptr, R.ptr, I, B, 1.702, 7);
      const a = A.get(), r = R.get();
      for (let i = 0; i < a.length; i++) {
        if (Number.isNaN(r[i])) { expect(a[i]).toBeNaN(); continue; }
        expect(Math.abs(a[i] - r[i])).toBeLessThanOrEqual(4 * 2 ** -23 * Math.abs(r[i]) + 1e-37);
      }
    }
  });

  test('attention: sink in the denominator (spec §4.5.4 example)', () => {
    // q·k chosen so the scaled scores are [1, 2]; sink 0.5 → weights [0.231224, 0.628532]
    const s = new Scratch();
    const hd = 4, scale = 1;
    const q = s.f32([1, 0, 0, 0]), k = s.f32([1, 0, 0, 0, 2, 0, 0, 0]), v = s.f32([1, 0, 0, 0, 0, 1, 0, 0]);
    const out = s.f32(hd), sinks = s.f32([0.5]), scr = s.f32(16);
    s.k.attention(q.ptr, k.ptr, v.ptr, out.ptr, sinks.ptr, scr.ptr, 1, 1, hd, 1, 8, 0, scale, 0, 1); // 1 token × 1 K/V head
    const o = out.get();
    expect(o[0]).toBeCloseTo(0.231224, 5);
    expect(o[1]).toBeCloseTo(0.628532, 5);
  });

  test('attention: GQA, causal, sliding window, ring cache — SIMD = twin = f64 reference', () => {
    const rand = rng(3);
    for (const [nq, nkv, hd, window, pos0, B, cap] of [[4, 2, 64, 0, 0, 5, 16], [4, 1, 6, 3, 2, 4, 16], [6, 2, 8, 4, 9, 3, 6], [2, 2, 64, 8, 20, 1, 8]]) {
      const s = new Scratch();
      const { kvw, q, kc, vc, sinks, K, V, Q, S, O } = attentionCase(s, rand, nq, nkv, hd, B, cap, 1), scr = s.f32(1024);
      // kernel work items: (token, K/V head); the twin's: (token, query head)
      s.k.attention(Q.ptr, K.ptr, V.ptr, O.ptr, S.ptr, scr.ptr, nq, nkv, hd, pos0, cap, window, 0.125, 0, B * nkv);
      const simd = O.get();
      s.k.attention_ref(Q.ptr, K.ptr, V.ptr, O.ptr, S.ptr, scr.ptr, nq, nkv, hd, pos0, cap, window, 0.125, 0, B * nq);
      expect(maxAbsDiff(simd, O.get())).toBeLessThan(1e-6);
      for (let b = 0; b < B; b++) for (let h = 0; h < nq; h++) {
        const p = pos0 + b, lo = window ? Math.max(0, p - window + 1) : 0, kh = Math.floor(h / (nq / nkv));
        const sc: number[] = [];
        for (let t = lo; t <= p; t++) {
          let d = 0; for (let i = 0; i < hd; i++) d += q[(b * nq + h) * hd + i] * kc[(t % cap) * kvw + kh * hd + i];
          sc.push(d * 0.125);
        }
        const m = Math.max(sinks[h], ...sc);
        const den = Math.exp(sinks[h] - m) + sc.reduce((a, x) => a + Math.exp(x - m), 0);
        for (let i = 0; i < hd; i++) {
          let o = 0; sc.forEach((x, j) => { o += (Math.exp(x - m) / den) * vc[((lo + j) % cap) * kvw + kh * hd + i]; });
          expect(Math.abs(simd[(b * nq + h) * hd + i] - o)).toBeLessThan(1e-5);
        }
      }
    }
  });

  test('kv_store_f32, kv_store_f16: token b of a batch into slot (pos0 + b) % cap of each head\'s ring, wrapping; other slots untouched', () => {
    const s = new Scratch(), rand = rng(10);
    for (const [nkv, hd, pos0, B, cap] of [[2, 3, 5, 3, 6], [3, 8, 0, 1, 4], [1, 5, 9, 4, 4], [8, 64, 130, 2, 128]]) {
      const src = Float32Array.from({ length: B * nkv * hd }, () => rand() * 4 - 2), S = s.f32(src);
      const R32 = s.f32(nkv * cap * hd), R16 = s.u8(nkv * cap * hd * 2);
      s.k.kv_store_f32(S.ptr, R32.ptr, nkv, hd, pos0, cap, B);
      s.k.kv_store_f16(S.ptr, R16.ptr, nkv, hd, pos0, cap, B);
      const want = new Float32Array(nkv * cap * hd); // later tokens overwrite earlier ones in a slot
      for (let b = 0; b < B; b++) for (let g = 0; g < nkv; g++) for (let i = 0; i < hd; i++) want[(g * cap + (pos0 + b) % cap) * hd + i] = src[(b * nkv + g) * hd + i];
      expect(Array.from(R32.get())).toEqual(Array.from(want));
      expect(Array.from(new Uint16Array(R16.get().buffer))).toEqual(Array.from(want, (x) => f32ToF16(x)));
    }
  });

  test('attention_f16kv (fast precision cache): kv_store_f16 rounds like f32ToF16; SIMD = twin = f64 on the rounded K/V', () => {
    const rand = rng(8);
    for (const [nq, nkv, hd, window, pos0, B, cap] of [[4, 2, 64, 0, 0, 5, 16], [4, 1, 6, 3, 2, 4, 16], [6, 2, 8, 4, 9, 3, 6]]) {
      const s = new Scratch();
      const { kvw, kc, vc, Kh, Vh, Q, S, O } = attentionCase(s, rand, nq, nkv, hd, B, cap, 3);
      const kh = new Uint16Array(Kh.get().buffer), vh = new Uint16Array(Vh.get().buffer);
      for (let t = 0; t < cap; t++) for (let g = 0; g < nkv; g++) for (let i = 0; i < hd; i++) {
        expect(kh[(g * cap + t) * hd + i]).toBe(f32ToF16(kc[t * kvw + g * hd + i]));
        expect(vh[(g * cap + t) * hd + i]).toBe(f32ToF16(vc[t * kvw + g * hd + i]));
      }
      const scr = s.f32(1024);
      s.k.attention_f16kv(Q.ptr, Kh.ptr, Vh.ptr, O.ptr, S.ptr, scr.ptr, nq, nkv, hd, pos0, cap, window, 0.125, 0, B * nkv);
      const simd = O.get();
      s.k.attention_f16kv_ref(Q.ptr, Kh.ptr, Vh.ptr, O.ptr, S.ptr, scr.ptr, nq, nkv, hd, pos0, cap, window, 0.125, 0, B * nq);
      expect(maxAbsDiff(simd, O.get())).toBeLessThan(1e-5);
      // f32 attention over the same rounded values
      const kr = Float32Array.from(kh, (h) => f16ToF32(h)), vr = Float32Array.from(vh, (h) => f16ToF32(h));
      const K2 = s.f32(kr), V2 = s.f32(vr), O2 = s.f32(B * nq * hd);
      s.k.attention(Q.ptr, K2.ptr, V2.ptr, O2.ptr, S.ptr, scr.ptr, nq, nkv, hd, pos0, cap, window, 0.125, 0, B * nkv);
      expect(maxAbsDiff(simd, O2.get())).toBeLessThan(1e-6);
    }
  });

  test('attention over many keys (several value blocks, four-head dots, ring wrap), f32 and f16 caches: SIMD = twin', () => {
    const rand = rng(9);
    // [nq, nkv, hd, window, pos0, B, cap]: group 8 (two four-head dots), group 5 (one and a
    // single), odd hd, windows past a block, group 4 with hd 20 (a 16-dimension step and a
    // 4-dimension tail) and a window over a wrapped ring
    for (const [nq, nkv, hd, window, pos0, B, cap] of [[64, 8, 64, 0, 90, 2, 96], [10, 2, 12, 40, 100, 3, 48], [8, 1, 64, 0, 33, 1, 40], [6, 2, 6, 0, 70, 2, 80],
      [8, 2, 20, 0, 50, 3, 64], [16, 4, 64, 41, 100, 3, 48]]) {
      const s = new Scratch();
      const { K, V, Kh, Vh, Q, S, O } = attentionCase(s, rand, nq, nkv, hd, B, cap, 2);
      const scr = s.f32((nq / nkv) * cap + hd + 32 * hd + 64);
      for (const [kern, kk, vv] of [['attention', K, V], ['attention_f16kv', Kh, Vh]] as const) {
        const k = s.k as unknown as Record<string, (...a: number[]) => void>;
        k[kern](Q.ptr, kk.ptr, vv.ptr, O.ptr, S.ptr, scr.ptr, nq, nkv, hd, pos0, cap, window, 0.125, 0, B * nkv);
        const simd = O.get();
        k[`${kern}_ref`](Q.ptr, kk.ptr, vv.ptr, O.ptr, S.ptr, scr.ptr, nq, nkv, hd, pos0, cap, window, 0.125, 0, B * nq);
        expect(maxAbsDiff(simd, O.get()), `${kern} ${[nq, nkv, hd, window, pos0, B, cap]}`).toBeLessThan(1e-6);
      }
    }
  });

  test('quantize_q8: SIMD = twin; d at f16 precision; ties to even; zero blocks; sums and lane corrections', () => {
    const s = new Scratch(), rand = rng(4);
    expect(s.k.Q8_BLOCK.value).toBe(Q8_BLOCK_BYTES);
    const n = 96, B = 4, rb = actRowBytes('q8', n);
    const x = Float32Array.from({ length: B * n }, () => (rand() - 0.5) * 8);
    x.fill(0, 32, 64); //                                  an all-zero block
    for (let k = 0; k < 32; k++) x[64 + k] = k === 0 ? 127 : k - 16 + 0.5; // exact .5 ties
    x.fill(3, 3 * n, 3 * n + 32); x.fill(-3, 3 * n + 32, 3 * n + 64); //  ±127 everywhere: the largest corrections
    const X = s.f32(x), Q1 = s.u8(B * rb), Q2 = s.u8(B * rb);
    s.k.quantize_q8(X.ptr, Q1.ptr, n, B);
    s.k.quantize_q8_ref(X.ptr, Q2.ptr, n, B);
    const a = Q1.get(), b = Q2.get();
    expect([...a]).toEqual([...b]);
    const dv = new DataView(a.buffer);
    for (let blk = 0; blk < B * 3; blk++) {
      const xs = x.subarray(blk * 32, blk * 32 + 32);
      const amax = Math.max(...xs.map(Math.abs));
      const d = Math.fround(amax / 127);
      // row layout: i8 qs[n], f32 d[n/32], i32 Σqs[n/32], 2×(i16, i16) corrections[n/32]
      const row = Math.floor(blk / 3) * rb, g = blk % 3;
      let sum = 0;
      expect(dv.getFloat32(row + 96 + 4 * g, true)).toBe(f16ToF32(f32ToF16(d)));
      const id = d ? Math.fround(1 / d) : 0;
      for (let k = 0; k < 32; k++) {
        const v = Math.fround(xs[k] * id), fl = Math.floor(v), r = v - fl === 0.5 ? (fl % 2 === 0 ? fl : fl + 1) : Math.round(v);
        expect(dv.getInt8(row + 32 * g + k)).toBe(r | 0); // | 0: an int8 has no −0
        sum += r;
      }
      expect(dv.getInt32(row + 108 + 4 * g, true)).toBe(sum);
      // the i16 lane starts of mxfp4_rdot.ts rdot16: half h, lanes of even / odd pairs
      for (let h = 0; h < 2; h++) for (let t = 0; t < 2; t++) {
        let c = 0;
        for (let j = 0; j < 4; j++) c += dv.getInt8(row + 32 * g + 16 * h + 4 * j + 2 * t) + dv.getInt8(row + 32 * g + 16 * h + 4 * j + 2 * t + 1);
        expect(dv.getInt16(row + 120 + 8 * g + 4 * h + 2 * t, true)).toBe((-12 * c) | 0);
      }
    }
    expect(dv.getInt16(3 * rb + 120, true)).toBe(-12 * 8 * 127);
    expect(dv.getInt16(3 * rb + 120 + 8, true)).toBe(12 * 8 * 127);
  });

  test('round_f16 matches the f32 → f16 reference on normals, subnormals, ties, overflow', () => {
    const s = new Scratch(), rand = rng(6);
    const vals = [0, -0, 1, 65504, 65520, 1e6, 6.1e-5, 5.96e-8, 2.98e-8, 1e-9, 1 + 2 ** -11, 1 + 3 * 2 ** -11];
    for (let i = 0; i < 2000; i++) vals.push((rand() - 0.5) * 2 ** ((rand() * 40 - 28) | 0));
    for (const v of vals) {
      expect(s.k.round_f16(v)).toBe(f16ToF32(f32ToF16(v)));
      expect(s.k.f16_bits(v)).toBe(f32ToF16(v));
    }
  });
});
