// moe_combine — y[b][r] = Σ_j wts[b·K + j] · oe[b·K + j][r]: the routing-weighted sum of the K
// expert outputs of each token (spec §4.6; the down bias is already in oe), in slot order.
// One thread: one output value. Host dispatch: ceil(B·H / WG), folded into (x, y) past 65535.

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let idx = g.x + g.y * nw.x * WG;
  if (idx >= p.B * p.H) { return; }
  let b = idx / p.H;
  let r = idx % p.H;
  var s = 0.0;
  for (var j = 0u; j < K; j++) {
    let slot = b * K + j;
    s += act[p.wOff + slot] * act[p.oeOff + slot * p.oeStride + r];
  }
  act[p.yOff + b * p.yStride + r] = s;
}
