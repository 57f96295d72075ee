// Causal attention with GQA, one learned sink logit per head and an optional sliding window
// (spec §4.5.4–§4.5.6), f32 arithmetic.
//   q   [B][nq·hd] f32 (RoPE applied)        out [B][nq·hd] f32
//   kc, vc  ring caches [nkv][cap][hd] of KV = f32 (exact) or f16 bits (u16, fast, as llama.cpp's
//           default cache): position p lives in slot p % cap (full layers: cap ≥ context) of each
//           K/V head's ring. Head-major so that a work item streams one contiguous block: with
//           position-major rows ([cap][nkv·hd]) a head's rows sat a whole row (1 KiB) apart and a
//           token at 4096 keys took 13.5 ms here instead of 7.4 (AMD EPYC, one thread): the
//           reads of the value pass waited on memory one row at a time.
//   sinks [nq] f32; scr: ≥ (group · visible keys + hd + VBLOCK · hd) f32 of scratch for this caller
// Token b sits at position pos0 + b; its keys must already be in the cache. Work items [w0, w1)
// index (token, K/V head) pairs for the kernels, (token, query head) pairs for the scalar twins,
// so threads can split them.
import { exp4, hsum, f16_to_f32, f16x4_to_f32x4, f16_bits } from './common';

@inline function load1<KV>(p: usize): f32 {
  if (isInteger<KV>()) return f16_to_f32(<u32>load<u16>(p));
  return load<f32>(p);
}

@inline function dot(a: usize, b: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(a + (<usize>i << 2)), v128.load(b + (<usize>i << 2))));
  let s = hsum(acc);
  for (; i < n; i++) s += load<f32>(a + (<usize>i << 2)) * load<f32>(b + (<usize>i << 2));
  return s;
}

/** Keys per block of the value pass: their widened rows (8 KiB at hd 64) stay in L1 for every head. */
export const VBLOCK: i32 = 32;

/**
 * [q_j·k for j = 0..3] of four consecutive query rows (hd apart, hd a multiple of 4) against one
 * key row: k loaded once for four heads, lane sums in dot()'s order (hsum of each accumulator).
 * Two keys per pass (each q vector loaded once for both, eight accumulators) ran slower under Bun:
 * 4.46–5.41 ms against 4.07–4.40 per layer and token at 4096 keys, f16 cache, one thread (Zen 5,
 * same process, alternating), unrolled or not.
 */
@inline function dot4(q: usize, k: usize, hd: i32): v128 {
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
  const h4 = <usize>hd << 2, q1 = q + h4, q2 = q1 + h4, q3 = q2 + h4;
  let i = 0;
  // 16 dimensions per step at constant offsets: JSC folds an immediate offset into the load's
  // address but computes `base + index` with an add per load and runs the loop's bookkeeping
  // per step (its Air for the one-vector step held 22 instructions per 16 multiply-adds).
  for (; i + 16 <= hd; i += 16) {
    const o = <usize>i << 2, kp = k + o, p0 = q + o, p1 = q1 + o, p2 = q2 + o, p3 = q3 + o;
    let kv = v128.load(kp);
    a0 = f32x4.add(a0, f32x4.mul(v128.load(p0), kv)); a1 = f32x4.add(a1, f32x4.mul(v128.load(p1), kv));
    a2 = f32x4.add(a2, f32x4.mul(v128.load(p2), kv)); a3 = f32x4.add(a3, f32x4.mul(v128.load(p3), kv));
    kv = v128.load(kp, 16);
    a0 = f32x4.add(a0, f32x4.mul(v128.load(p0, 16), kv)); a1 = f32x4.add(a1, f32x4.mul(v128.load(p1, 16), kv));
    a2 = f32x4.add(a2, f32x4.mul(v128.load(p2, 16), kv)); a3 = f32x4.add(a3, f32x4.mul(v128.load(p3, 16), kv));
    kv = v128.load(kp, 32);
    a0 = f32x4.add(a0, f32x4.mul(v128.load(p0, 32), kv)); a1 = f32x4.add(a1, f32x4.mul(v128.load(p1, 32), kv));
    a2 = f32x4.add(a2, f32x4.mul(v128.load(p2, 32), kv)); a3 = f32x4.add(a3, f32x4.mul(v128.load(p3, 32), kv));
    kv = v128.load(kp, 48);
    a0 = f32x4.add(a0, f32x4.mul(v128.load(p0, 48), kv)); a1 = f32x4.add(a1, f32x4.mul(v128.load(p1, 48), kv));
    a2 = f32x4.add(a2, f32x4.mul(v128.load(p2, 48), kv)); a3 = f32x4.add(a3, f32x4.mul(v128.load(p3, 48), kv));
  }
  for (; i < hd; i += 4) {
    const o = <usize>i << 2, kv = v128.load(k + o);
    a0 = f32x4.add(a0, f32x4.mul(v128.load(q + o), kv)); a1 = f32x4.add(a1, f32x4.mul(v128.load(q1 + o), kv));
    a2 = f32x4.add(a2, f32x4.mul(v128.load(q2 + o), kv)); a3 = f32x4.add(a3, f32x4.mul(v128.load(q3 + o), kv));
  }
  // (x0 + x1) + (x2 + x3) per accumulator, as hsum does, four at once
  const lo01 = v128.shuffle<f32>(a0, a1, 0, 4, 2, 6), hi01 = v128.shuffle<f32>(a0, a1, 1, 5, 3, 7);
  const lo23 = v128.shuffle<f32>(a2, a3, 0, 4, 2, 6), hi23 = v128.shuffle<f32>(a2, a3, 1, 5, 3, 7);
  const p01 = f32x4.add(lo01, hi01), p23 = f32x4.add(lo23, hi23); // [a0:x0+x1, a1:x0+x1, a0:x2+x3, a1:x2+x3]
  return f32x4.add(v128.shuffle<f32>(p01, p23, 0, 1, 4, 5), v128.shuffle<f32>(p01, p23, 2, 3, 6, 7));
}

// One work item = one token and one K/V head with its whole group of query heads (GQA): each
// cached key and value row is read — and, for f16, widened — once for the group, not once per
// query head. scr (per caller): scores [group][visible keys] f32, one widened K row [hd] f32, then
// (f16 caches) a block of widened V rows [VBLOCK][hd] f32.
// The softmax runs four keys at a time (exp4); the weighted sum of values goes a block of keys at a
// time, eight vectors of a head's output held in registers over the block.
@inline function attend<KV>(q: usize, kc: usize, vc: usize, out: usize, sinks: usize, scr: usize,
                            nq: i32, nkv: i32, hd: i32, pos0: i32, cap: i32, window: i32, scale: f32,
                            w0: i32, w1: i32): void {
  const group = nq / nkv;
  const row = <usize>hd * sizeof<KV>();
  for (let w = w0; w < w1; w++) {
    const b = w / nkv, g = w % nkv;
    const p = pos0 + b;
    const lo = window > 0 ? max(0, p - window + 1) : 0;
    const n = p - lo + 1;
    const kvo = <usize>(g * cap) * row; // K/V head g's ring
    const wide = scr + (<usize>(group * n) << 2), wideV = wide + (<usize>hd << 2);
    const q0 = q + ((<usize>(b * nq + g * group) * hd) << 2);
    for (let t = lo; t <= p; t++) {
      const kr = widen<KV>(kc + <usize>(t % cap) * row + kvo, wide, hd), st = scr + (<usize>(t - lo) << 2);
      let j = 0;
      if ((hd & 3) == 0) for (; j + 4 <= group; j += 4) {
        const s4 = f32x4.mul(dot4(q0 + ((<usize>j * hd) << 2), kr, hd), f32x4.splat(scale));
        store<f32>(st + (<usize>(j * n) << 2), f32x4.extract_lane(s4, 0)); store<f32>(st + (<usize>((j + 1) * n) << 2), f32x4.extract_lane(s4, 1));
        store<f32>(st + (<usize>((j + 2) * n) << 2), f32x4.extract_lane(s4, 2)); store<f32>(st + (<usize>((j + 3) * n) << 2), f32x4.extract_lane(s4, 3));
      }
      for (; j < group; j++) store<f32>(st + (<usize>(j * n) << 2), dot(q0 + ((<usize>j * hd) << 2), kr, hd) * scale);
    }
    for (let j = 0; j < group; j++) softmax_sink(scr + (<usize>(j * n) << 2), n, load<f32>(sinks + (<usize>(g * group + j) << 2)));
    const o0 = out + ((<usize>(b * nq + g * group) * hd) << 2);
    for (let t0 = lo; t0 <= p; t0 += VBLOCK) {
      const t1 = min(p + 1, t0 + VBLOCK);
      // value rows as f32: the cache's own rows, or this block's widened once for the whole group
      if (isInteger<KV>()) for (let t = t0; t < t1; t++) widen<KV>(vc + <usize>(t % cap) * row + kvo, wideV + (<usize>((t - t0) * hd) << 2), hd);
      for (let j = 0; j < group; j++) values<KV>(o0 + ((<usize>j * hd) << 2), scr + (<usize>(j * n + t0 - lo) << 2), vc, wideV, t0, t1, t0 == lo, cap, row, kvo, hd);
    }
  }
}

/** o[0, hd) (+)= Σ_{t0 ≤ t < t1} pw[t − t0] · V[t]; `first`: o starts at zero. Sums in key order. */
@inline function values<KV>(o: usize, pw: usize, vc: usize, wideV: usize, t0: i32, t1: i32, first: bool, cap: i32, row: usize, kvo: usize, hd: i32): void {
  let i = 0;
  for (; i + 32 <= hd; i += 32) {
    const oi = o + (<usize>i << 2), z = f32x4.splat(0);
    let a0 = first ? z : v128.load(oi, 0), a1 = first ? z : v128.load(oi, 16), a2 = first ? z : v128.load(oi, 32), a3 = first ? z : v128.load(oi, 48);
    let a4 = first ? z : v128.load(oi, 64), a5 = first ? z : v128.load(oi, 80), a6 = first ? z : v128.load(oi, 96), a7 = first ? z : v128.load(oi, 112);
    for (let t = t0; t < t1; t++) {
      const w = v128.load32_splat(pw + (<usize>(t - t0) << 2)), vr = vrow<KV>(vc, wideV, t, t0, cap, row, kvo, hd) + (<usize>i << 2);
      a0 = f32x4.add(a0, f32x4.mul(w, v128.load(vr, 0))); a1 = f32x4.add(a1, f32x4.mul(w, v128.load(vr, 16)));
      a2 = f32x4.add(a2, f32x4.mul(w, v128.load(vr, 32))); a3 = f32x4.add(a3, f32x4.mul(w, v128.load(vr, 48)));
      a4 = f32x4.add(a4, f32x4.mul(w, v128.load(vr, 64))); a5 = f32x4.add(a5, f32x4.mul(w, v128.load(vr, 80)));
      a6 = f32x4.add(a6, f32x4.mul(w, v128.load(vr, 96))); a7 = f32x4.add(a7, f32x4.mul(w, v128.load(vr, 112)));
    }
    v128.store(oi, a0, 0); v128.store(oi, a1, 16); v128.store(oi, a2, 32); v128.store(oi, a3, 48);
    v128.store(oi, a4, 64); v128.store(oi, a5, 80); v128.store(oi, a6, 96); v128.store(oi, a7, 112);
  }
  for (; i + 4 <= hd; i += 4) {
    let a = first ? f32x4.splat(0) : v128.load(o + (<usize>i << 2));
    for (let t = t0; t < t1; t++) a = f32x4.add(a, f32x4.mul(v128.load32_splat(pw + (<usize>(t - t0) << 2)), v128.load(vrow<KV>(vc, wideV, t, t0, cap, row, kvo, hd) + (<usize>i << 2))));
    v128.store(o + (<usize>i << 2), a);
  }
  for (; i < hd; i++) {
    let a: f32 = first ? 0 : load<f32>(o + (<usize>i << 2));
    for (let t = t0; t < t1; t++) a += load<f32>(pw + (<usize>(t - t0) << 2)) * load<f32>(vrow<KV>(vc, wideV, t, t0, cap, row, kvo, hd) + (<usize>i << 2));
    store<f32>(o + (<usize>i << 2), a);
  }
}

/** Value row of key position t as f32: in the f32 cache itself, or widened into wideV (block from t0). */
@inline function vrow<KV>(vc: usize, wideV: usize, t: i32, t0: i32, cap: i32, row: usize, kvo: usize, hd: i32): usize {
  if (isInteger<KV>()) return wideV + (<usize>((t - t0) * hd) << 2);
  return vc + <usize>(t % cap) * row + kvo;
}

/** Scores s[0, n) → softmax weights with the sink's logit in the denominator (spec §4.5.4): it takes probability mass but has no value vector. */
@inline function softmax_sink(s: usize, n: i32, sink: f32): void {
  let mv = f32x4.splat(sink);
  let i = 0;
  for (; i + 4 <= n; i += 4) mv = f32x4.pmax(mv, v128.load(s + (<usize>i << 2))); // as in exp4
  let m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  for (; i < n; i++) m = max(m, load<f32>(s + (<usize>i << 2)));
  const mm = f32x4.splat(m);
  let dv = f32x4.splat(0);
  for (i = 0; i + 4 <= n; i += 4) {
    const e = exp4(f32x4.sub(v128.load(s + (<usize>i << 2)), mm));
    v128.store(s + (<usize>i << 2), e);
    dv = f32x4.add(dv, e);
  }
  let den = hsum(dv) + f32x4.extract_lane(exp4(f32x4.splat(sink - m)), 0);
  for (; i < n; i++) {
    const e = f32x4.extract_lane(exp4(f32x4.splat(load<f32>(s + (<usize>i << 2)) - m)), 0);
    store<f32>(s + (<usize>i << 2), e);
    den += e;
  }
  const inv = f32x4.splat(<f32>1 / den);
  for (i = 0; i + 4 <= n; i += 4) v128.store(s + (<usize>i << 2), f32x4.mul(v128.load(s + (<usize>i << 2)), inv));
  for (; i < n; i++) store<f32>(s + (<usize>i << 2), load<f32>(s + (<usize>i << 2)) * f32x4.extract_lane(inv, 0));
}

/** A cached row as f32: itself when the cache is f32, else widened into `wide`. */
@inline function widen<KV>(src: usize, wide: usize, hd: i32): usize {
  if (!isInteger<KV>()) return src;
  let i = 0;
  for (; i + 8 <= hd; i += 8) {
    const h = v128.load(src + (<usize>i << 1));
    v128.store(wide + (<usize>i << 2), f16x4_to_f32x4(i32x4.extend_low_i16x8_s(h)));
    v128.store(wide + (<usize>i << 2), f16x4_to_f32x4(i32x4.extend_high_i16x8_s(h)), 16);
  }
  for (; i < hd; i++) store<f32>(wide + (<usize>i << 2), f16_to_f32(<u32>load<u16>(src + (<usize>i << 1))));
  return wide;
}

export function attention(q: usize, kc: usize, vc: usize, out: usize, sinks: usize, scr: usize,
                          nq: i32, nkv: i32, hd: i32, pos0: i32, cap: i32, window: i32, scale: f32, w0: i32, w1: i32): void {
  attend<f32>(q, kc, vc, out, sinks, scr, nq, nkv, hd, pos0, cap, window, scale, w0, w1);
}

export function attention_f16kv(q: usize, kc: usize, vc: usize, out: usize, sinks: usize, scr: usize,
                                nq: i32, nkv: i32, hd: i32, pos0: i32, cap: i32, window: i32, scale: f32, w0: i32, w1: i32): void {
  attend<u16>(q, kc, vc, out, sinks, scr, nq, nkv, hd, pos0, cap, window, scale, w0, w1);
}

/**
 * B rows of nkv·hd f32 at src (token b's K or V, head after head) → ring slot (pos0 + b) % cap of
 * each head's ring in a [nkv][cap][hd] cache: as f32 or, KV = u16, as f16 bits.
 */
@inline function kv_store<KV>(src: usize, ring: usize, nkv: i32, hd: i32, pos0: i32, cap: i32, B: i32): void {
  for (let b = 0; b < B; b++) {
    const slot = (pos0 + b) % cap;
    for (let g = 0; g < nkv; g++) {
      const d = ring + (<usize>(g * cap + slot) * hd) * sizeof<KV>(), s = src + (<usize>((b * nkv + g) * hd) << 2);
      for (let i = 0; i < hd; i++) {
        const x = load<f32>(s + (<usize>i << 2));
        if (isInteger<KV>()) store<u16>(d + (<usize>i << 1), f16_bits(x));
        else store<f32>(d + (<usize>i << 2), x);
      }
    }
  }
}

export function kv_store_f32(src: usize, ring: usize, nkv: i32, hd: i32, pos0: i32, cap: i32, B: i32): void {
  kv_store<f32>(src, ring, nkv, hd, pos0, cap, B);
}

export function kv_store_f16(src: usize, ring: usize, nkv: i32, hd: i32, pos0: i32, cap: i32, B: i32): void {
  kv_store<u16>(src, ring, nkv, hd, pos0, cap, B);
}

// Scalar twin: the spec's two-pass softmax with the sink, element by element.
@inline function attend_ref<KV>(q: usize, kc: usize, vc: usize, out: usize, sinks: usize, scr: usize,
                                nq: i32, nkv: i32, hd: i32, pos0: i32, cap: i32, window: i32, scale: f32,
                                w0: i32, w1: i32): void {
  const group = nq / nkv;
  for (let w = w0; w < w1; w++) {
    const b = w / nq, h = w % nq;
    const p = pos0 + b;
    const lo = window > 0 ? max(0, p - window + 1) : 0;
    const kh = h / group;
    let m = load<f32>(sinks + (<usize>h << 2));
    for (let t = lo; t <= p; t++) {
      let s: f32 = 0;
      for (let i = 0; i < hd; i++) s += load<f32>(q + ((<usize>((b * nq + h) * hd + i)) << 2)) * load1<KV>(kc + <usize>((kh * cap + t % cap) * hd + i) * sizeof<KV>());
      s *= scale;
      store<f32>(scr + (<usize>(t - lo) << 2), s);
      m = max(m, s);
    }
    let den = Mathf.exp(load<f32>(sinks + (<usize>h << 2)) - m);
    for (let t = lo; t <= p; t++) den += Mathf.exp(load<f32>(scr + (<usize>(t - lo) << 2)) - m);
    for (let i = 0; i < hd; i++) {
      let o: f32 = 0;
      for (let t = lo; t <= p; t++) o += Mathf.exp(load<f32>(scr + (<usize>(t - lo) << 2)) - m) / den * load1<KV>(vc + <usize>((kh * cap + t % cap) * hd + i) * sizeof<KV>());
      store<f32>(out + ((<usize>((b * nq + h) * hd + i)) << 2), o);
    }
  }
}

export function attention_ref(q: usize, kc: usize, vc: usize, out: usize, sinks: usize, scr: usize,
                              nq: i32, nkv: i32, hd: i32, pos0: i32, cap: i32, window: i32, scale: f32, w0: i32, w1: i32): void {
  attend_ref<f32>(q, kc, vc, out, sinks, scr, nq, nkv, hd, pos0, cap, window, scale, w0, w1);
}

export function attention_f16kv_ref(q: usize, kc: usize, vc: usize, out: usize, sinks: usize, scr: usize,
                                    nq: i32, nkv: i32, hd: i32, pos0: i32, cap: i32, window: i32, scale: f32, w0: i32, w1: i32): void {
  attend_ref<u16>(q, kc, vc, out, sinks, scr, nq, nkv, hd, pos0, cap, window, scale, w0, w1);
}
