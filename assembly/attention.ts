// Causal attention with GQA, one learned sink logit per head and an optional sliding window
// (spec §4.5.4–§4.5.6), f32 arithmetic.
//   q   [B][nq·hd] f32 (RoPE applied)        out [B][nq·hd] f32
//   kc, vc  ring caches [cap][nkv·hd] of KV = f32 (exact) or f16 bits (u16, fast, as llama.cpp's
//           default cache): position p lives in slot p % cap (full layers: cap ≥ context)
//   sinks [nq] f32; scr: ≥ (group · visible keys + hd) f32 of scratch for this caller
// Token b sits at position pos0 + b; its keys must already be in the cache. Work items [w0, w1)
// index (token, K/V head) pairs for the kernels, (token, query head) pairs for the scalar twins,
// so threads can split them.
import { hsum, f16_to_f32, f16x4_to_f32x4, f16_bits } from './common';

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

// One work item = one token and one K/V head with its whole group of query heads (GQA): each
// cached key and value row is read — and, for f16, widened — once for the group, not once per
// query head. scr (per caller): scores [group][visible keys] f32, then one widened row [hd] f32.
@inline function attend<KV>(q: usize, kc: usize, vc: usize, out: usize, sinks: usize, scr: usize,
                            nq: i32, nkv: i32, hd: i32, pos0: i32, cap: i32, window: i32, scale: f32,
                            w0: i32, w1: i32): void {
  const group = nq / nkv;
  const row = <usize>(nkv * hd) * sizeof<KV>();
  for (let w = w0; w < w1; w++) {
    const b = w / nkv, g = w % nkv;
    const p = pos0 + b;
    const lo = window > 0 ? max(0, p - window + 1) : 0;
    const n = p - lo + 1;
    const kvo = <usize>(g * hd) * sizeof<KV>();
    const wide = scr + (<usize>(group * n) << 2);
    const q0 = q + ((<usize>(b * nq + g * group) * hd) << 2);
    for (let t = lo; t <= p; t++) {
      const kr = widen<KV>(kc + <usize>(t % cap) * row + kvo, wide, hd);
      for (let j = 0; j < group; j++) store<f32>(scr + (<usize>(j * n + t - lo) << 2), dot(q0 + ((<usize>j * hd) << 2), kr, hd) * scale);
    }
    for (let j = 0; j < group; j++) {
      // The sink takes probability mass but has no value vector (spec §4.5.4).
      const sink = load<f32>(sinks + (<usize>(g * group + j) << 2));
      const sj = scr + (<usize>(j * n) << 2);
      let m = sink;
      for (let i = 0; i < n; i++) { const v = load<f32>(sj + (<usize>i << 2)); if (v > m) m = v; }
      let den = Mathf.exp(sink - m);
      for (let i = 0; i < n; i++) {
        const e = Mathf.exp(load<f32>(sj + (<usize>i << 2)) - m);
        store<f32>(sj + (<usize>i << 2), e);
        den += e;
      }
      const inv: f32 = <f32>1 / den;
      for (let i = 0; i < n; i++) store<f32>(sj + (<usize>i << 2), load<f32>(sj + (<usize>i << 2)) * inv);
    }
    const o0 = out + ((<usize>(b * nq + g * group) * hd) << 2);
    memory.fill(o0, 0, <usize>(group * hd) << 2);
    for (let t = lo; t <= p; t++) {
      const vr = widen<KV>(vc + <usize>(t % cap) * row + kvo, wide, hd);
      for (let j = 0; j < group; j++) {
        const oh = o0 + ((<usize>j * hd) << 2);
        const pw = f32x4.splat(load<f32>(scr + (<usize>(j * n + t - lo) << 2)));
        let i = 0;
        for (; i + 4 <= hd; i += 4) {
          const o = <usize>i << 2;
          v128.store(oh + o, f32x4.add(v128.load(oh + o), f32x4.mul(pw, v128.load(vr + o))));
        }
        const pws = f32x4.extract_lane(pw, 0);
        for (; i < hd; i++) store<f32>(oh + (<usize>i << 2), load<f32>(oh + (<usize>i << 2)) + pws * load<f32>(vr + (<usize>i << 2)));
      }
    }
  }
}

/** A cached row as f32: itself when the cache is f32, else widened into `wide`. */
@inline function widen<KV>(src: usize, wide: usize, hd: i32): usize {
  if (!isInteger<KV>()) return src;
  let i = 0;
  for (; i + 8 <= hd; i += 8) {
    const h = v128.load(src + (<usize>i << 1));
    v128.store(wide + (<usize>i << 2), f16x4_to_f32x4(i32x4.extend_low_i16x8_u(h)));
    v128.store(wide + (<usize>i << 2), f16x4_to_f32x4(i32x4.extend_high_i16x8_u(h)), 16);
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

/** B rows of n f32 at src → f16 bits in ring slots (pos0 + b) % cap of a [cap][n] u16 cache. */
export function kv_store_f16(src: usize, ring: usize, n: i32, pos0: i32, cap: i32, B: i32): void {
  for (let b = 0; b < B; b++) {
    const d = ring + <usize>((pos0 + b) % cap) * n * 2, s = src + <usize>b * n * 4;
    for (let i = 0; i < n; i++) store<u16>(d + (<usize>i << 1), f16_bits(load<f32>(s + (<usize>i << 2))));
  }
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
      for (let i = 0; i < hd; i++) s += load<f32>(q + ((<usize>((b * nq + h) * hd + i)) << 2)) * load1<KV>(kc + <usize>((t % cap) * nkv * hd + kh * hd + i) * sizeof<KV>());
      s *= scale;
      store<f32>(scr + (<usize>(t - lo) << 2), s);
      m = max(m, s);
    }
    let den = Mathf.exp(load<f32>(sinks + (<usize>h << 2)) - m);
    for (let t = lo; t <= p; t++) den += Mathf.exp(load<f32>(scr + (<usize>(t - lo) << 2)) - m);
    for (let i = 0; i < hd; i++) {
      let o: f32 = 0;
      for (let t = lo; t <= p; t++) o += Mathf.exp(load<f32>(scr + (<usize>(t - lo) << 2)) - m) / den * load1<KV>(vc + <usize>((t % cap) * nkv * hd + kh * hd + i) * sizeof<KV>());
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
