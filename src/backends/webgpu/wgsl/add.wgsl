// add — x += y over n contiguous values (the residual adds of spec §4.1).
// One thread: one value. Host dispatch: ceil(n / WG) workgroups, folded into (x, y) past 65535.

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = g.x + g.y * nw.x * WG;
  if (i >= p.n) { return; }
  act[p.xOff + i] += act[p.yOff + i];
}
