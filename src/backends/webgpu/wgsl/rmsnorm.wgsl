// rmsnorm — y = w ⊙ x / sqrt(mean(x²) + eps) per token row, f32 (spec §4.3).
// One workgroup: one token row. One thread: columns c ≡ tid (mod WG) (sum of squares, then its
// outputs). Workgroup memory: WG partial sums, tree-reduced. Host dispatch: (B).

var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let x0 = p.xOff + wg.x * p.n;
  let y0 = p.yOff + wg.x * p.n;
  var ss = 0.0;
  for (var c = tid; c < p.n; c += WG) { let v = act[x0 + c]; ss += v * v; }
  red[tid] = ss;
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h >>= 1u) {
    if (tid < h) { red[tid] += red[tid + h]; }
    workgroupBarrier();
  }
  let s = 1.0 / sqrt(red[0] / f32(p.n) + p.eps);
  for (var c = tid; c < p.n; c += WG) { act[y0 + c] = vec[p.wOff + c] * (act[x0 + c] * s); }
}
