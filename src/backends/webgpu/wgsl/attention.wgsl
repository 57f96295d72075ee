// attention — causal attention with learned sinks, GQA and an optional sliding window over a
// ring K/V cache (spec §4.5.4–§4.5.6); query token b sits at position pos0 + b and sees keys
// t ∈ [max(0, pos − window + 1), pos] (window 0 = all), key t in slot t % cap.
// Keys go CH at a time through an online softmax whose running max starts at the sink logit with
// denominator 1: the sink takes probability mass and adds no value (spec §4.5.4, §9.1).
// One workgroup: one query head h (wg.x) of one token b (wg.y); it reads KV head h / (nq / nkv).
// One thread: the scores of keys c ≡ tid (mod WG) of a chunk, then output dims i ≡ tid (mod WG).
// Workgroup memory: q_h (HD), CH scores then weights, WG partials for max/sum reductions.
// Host dispatch: (nq, B).

const CH = 256u;
const OPT = (HD + WG - 1u) / WG;
const NEG = -3.4028234e38;

var<workgroup> qs: array<f32, HD>;
var<workgroup> sc: array<f32, CH>;
var<workgroup> red: array<f32, WG>;

fn reduce_max(v: f32, tid: u32) -> f32 {
  red[tid] = v;
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h >>= 1u) {
    if (tid < h) { red[tid] = max(red[tid], red[tid + h]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

fn reduce_sum(v: f32, tid: u32) -> f32 {
  red[tid] = v;
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h >>= 1u) {
    if (tid < h) { red[tid] += red[tid + h]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let h = wg.x;
  let b = wg.y;
  let pos = p.pos0 + b;
  var lo = 0u;
  if (p.window > 0u && pos + 1u > p.window) { lo = pos + 1u - p.window; }
  let kvo = (h / (p.nq / p.nkv)) * HD;
  let qo = p.qOff + b * p.qStride + h * HD;
  for (var i = tid; i < HD; i += WG) { qs[i] = act[qo + i]; }
  workgroupBarrier();

  var m = vec[p.sinkOff + h]; // running max: the sink logit, unscaled
  var l = 1.0; //                running denominator: exp(sink − m)
  var o: array<f32, OPT>;
  for (var c0 = lo; c0 <= pos; c0 += CH) {
    let n = min(CH, pos + 1u - c0);
    var cmax = NEG;
    for (var t = tid; t < n; t += WG) {
      let kb = ((c0 + t) % p.cap) * p.kvw + kvo;
      var s = 0.0;
      for (var i = 0u; i < HD; i++) { s += qs[i] * k_get(kb + i); }
      s *= p.scale;
      sc[t] = s;
      cmax = max(cmax, s);
    }
    let mn = max(m, reduce_max(cmax, tid));
    let alpha = exp(m - mn);
    var ls = 0.0;
    for (var t = tid; t < n; t += WG) {
      let e = exp(sc[t] - mn);
      sc[t] = e;
      ls += e;
    }
    l = l * alpha + reduce_sum(ls, tid);
    for (var k = 0u; k < OPT; k++) {
      let i = tid + k * WG;
      if (i < HD) {
        var acc = o[k] * alpha;
        for (var t = 0u; t < n; t++) { acc += sc[t] * v_get(((c0 + t) % p.cap) * p.kvw + kvo + i); }
        o[k] = acc;
      }
    }
    m = mn;
    workgroupBarrier();
  }
  let oo = p.oOff + b * p.oStride + h * HD;
  for (var k = 0u; k < OPT; k++) {
    let i = tid + k * WG;
    if (i < HD) { act[oo + i] = o[k] / l; }
  }
}
