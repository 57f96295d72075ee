// kv_store — writes the K and V rows of B tokens into a layer's ring cache: token b (position
// pos0 + b) goes to slot (pos0 + b) % cap (spec §4.5.6: a sliding layer keeps only its window).
// The cache element type comes from the kv file (k_put2/v_put2: f32, f16, or f16 packed in u32).
// One thread: two adjacent values of one token (whole words for the packed cache).
// Host dispatch: ceil(B·kvw/2 / WG) workgroups, folded into (x, y) past 65535.

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let idx = g.x + g.y * nw.x * WG;
  let pairs = p.kvw / 2u;
  if (idx >= p.B * pairs) { return; }
  let b = idx / pairs;
  let j = 2u * (idx % pairs);
  let dst = ((p.pos0 + b) % p.cap) * p.kvw + j;
  let k = p.kOff + b * p.kStride + j;
  let v = p.vOff + b * p.vStride + j;
  k_put2(dst, act[k], act[k + 1u]);
  v_put2(dst, act[v], act[v + 1u]);
}
