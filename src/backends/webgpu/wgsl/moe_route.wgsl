// moe_route — router top-K and the per-expert slot lists (spec §4.6).
// The only workgroup. First its threads take tokens b ≡ tid (mod WG): top-K of the E router logits
// by value (ties: the lower expert id first, as the CPU backend), softmax over the K selected →
// route[selOff + b·K + j] = expert, and in the activations ids[b·K + j] = expert (as f32) and
// wts[b·K + j] = weight. Then they take
// experts e ≡ tid (mod WG) and list the slots b·K + j that chose e, in slot order →
// route[cOff + e] = count, route[lOff + e·maxB + n] = slot.
// Workgroup memory: none (the selections go through the route buffer and a storage barrier).
// Host dispatch: (1).

const NEG = -3.4028234e38;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) tid: u32) {
  for (var b = tid; b < p.B; b += WG) {
    var top: array<u32, K>;
    var val: array<f32, K>;
    for (var j = 0u; j < K; j++) { top[j] = 0xffffffffu; val[j] = NEG; }
    for (var e = 0u; e < p.E; e++) {
      let g = act[p.xOff + b * p.E + e];
      if (!(g > val[K - 1u])) { continue; }
      var j = K - 1u;
      while (j > 0u && g > val[j - 1u]) {
        val[j] = val[j - 1u];
        top[j] = top[j - 1u];
        j--;
      }
      val[j] = g;
      top[j] = e;
    }
    var den = 0.0;
    for (var j = 0u; j < K; j++) { den += exp(val[j] - val[0]); }
    for (var j = 0u; j < K; j++) {
      route[p.selOff + b * K + j] = top[j];
      act[p.idsOff + b * K + j] = f32(top[j]);
      act[p.wtsOff + b * K + j] = exp(val[j] - val[0]) / den;
    }
  }
  storageBarrier();
  for (var e = tid; e < p.E; e += WG) {
    var n = 0u;
    for (var s = 0u; s < p.B * K; s++) {
      if (route[p.selOff + s] == e) {
        route[p.lOff + e * p.maxB + n] = s;
        n++;
      }
    }
    route[p.cOff + e] = n;
  }
}
