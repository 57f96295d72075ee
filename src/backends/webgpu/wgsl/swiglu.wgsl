// swiglu — a[s][i] = SwiGLU(u[s][2i], u[s][2i + 1]) over n rows of interleaved gate/up values
// (spec §3.4), the clamped form of gpt-oss (spec §4.6): gate clamped above only, up on both
// sides, (up + 1). One thread: one output value. Host dispatch: ceil(n·I / WG), folded past 65535.

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let idx = g.x + g.y * nw.x * WG;
  if (idx >= p.n * p.I) { return; }
  let s = idx / p.I;
  let i = idx % p.I;
  let gate = min(act[p.xOff + s * p.xStride + 2u * i], p.limit);
  let up = clamp(act[p.xOff + s * p.xStride + 2u * i + 1u], -p.limit, p.limit);
  act[p.yOff + s * p.yStride + i] = gate / (1.0 + exp(-p.alpha * gate)) * (up + 1.0);
}
