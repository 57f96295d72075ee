// Causal attention with GQA, one learned sink logit per head and an optional sliding window
// (spec §4.5.4–§4.5.6), f32 throughout.
//   q   [B][nq·hd]  (RoPE applied)        out [B][nq·hd]
//   kc, vc  ring caches [cap][nkv·hd]: position p lives in slot p % cap (full layers: cap ≥ context)
//   sinks [nq] f32; scr: ≥ (visible keys) f32 of scratch for this caller
// Token b sits at position pos0 + b; its keys must already be in the cache. Work items
// [w0, w1) index (token, head) pairs so threads can split them.
import { hsum } from './common';

@inline function dot(a: usize, b: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(a + (<usize>i << 2)), v128.load(b + (<usize>i << 2))));
  let s = hsum(acc);
  for (; i < n; i++) s += load<f32>(a + (<usize>i << 2)) * load<f32>(b + (<usize>i << 2));
  return s;
}

export function attention(q: usize, kc: usize, vc: usize, out: usize, sinks: usize, scr: usize,
                          nq: i32, nkv: i32, hd: i32, pos0: i32, cap: i32, window: i32, scale: f32,
                          w0: i32, w1: i32): void {
  const group = nq / nkv;
  const kvw = nkv * hd;
  for (let w = w0; w < w1; w++) {
    const b = w / nq, h = w % nq;
    const p = pos0 + b;
    const lo = window > 0 ? max(0, p - window + 1) : 0;
    const qh = q + ((<usize>(b * nq + h) * hd) << 2);
    const kvo = <usize>((h / group) * hd) << 2;
    const sink = load<f32>(sinks + (<usize>h << 2));
    let m = sink;
    for (let t = lo; t <= p; t++) {
      const s = dot(qh, kc + ((<usize>(t % cap) * kvw) << 2) + kvo, hd) * scale;
      store<f32>(scr + (<usize>(t - lo) << 2), s);
      if (s > m) m = s;
    }
    // The sink takes probability mass but has no value vector (spec §4.5.4).
    let den = Mathf.exp(sink - m);
    for (let t = lo; t <= p; t++) {
      const e = Mathf.exp(load<f32>(scr + (<usize>(t - lo) << 2)) - m);
      store<f32>(scr + (<usize>(t - lo) << 2), e);
      den += e;
    }
    const oh = out + ((<usize>(b * nq + h) * hd) << 2);
    memory.fill(oh, 0, <usize>hd << 2);
    const inv: f32 = <f32>1 / den;
    for (let t = lo; t <= p; t++) {
      const pw = f32x4.splat(load<f32>(scr + (<usize>(t - lo) << 2)) * inv);
      const vt = vc + ((<usize>(t % cap) * kvw) << 2) + kvo;
      let i = 0;
      for (; i + 4 <= hd; i += 4) {
        const o = <usize>i << 2;
        v128.store(oh + o, f32x4.add(v128.load(oh + o), f32x4.mul(pw, v128.load(vt + o))));
      }
      const pws = f32x4.extract_lane(pw, 0);
      for (; i < hd; i++) store<f32>(oh + (<usize>i << 2), load<f32>(oh + (<usize>i << 2)) + pws * load<f32>(vt + (<usize>i << 2)));
    }
  }
}

export function attention_ref(q: usize, kc: usize, vc: usize, out: usize, sinks: usize, scr: usize,
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
      for (let i = 0; i < hd; i++) s += load<f32>(q + ((<usize>((b * nq + h) * hd + i)) << 2)) * load<f32>(kc + ((<usize>((t % cap) * nkv * hd + kh * hd + i)) << 2));
      s *= scale;
      store<f32>(scr + (<usize>(t - lo) << 2), s);
      m = max(m, s);
    }
    let den = Mathf.exp(load<f32>(sinks + (<usize>h << 2)) - m);
    for (let t = lo; t <= p; t++) den += Mathf.exp(load<f32>(scr + (<usize>(t - lo) << 2)) - m);
    for (let i = 0; i < hd; i++) {
      let o: f32 = 0;
      for (let t = lo; t <= p; t++) o += Mathf.exp(load<f32>(scr + (<usize>(t - lo) << 2)) - m) / den * load<f32>(vc + ((<usize>((t % cap) * nkv * hd + kh * hd + i)) << 2));
      store<f32>(out + ((<usize>((b * nq + h) * hd + i)) << 2), o);
    }
  }
}
