// rope — rotate-half (NeoX) RoPE in place (spec §4.5.1): x'[i] = x[i]·c − x[i+half]·s,
// x'[i+half] = x[i+half]·c + x[i]·s, with c, s = the host's mscale·cos / mscale·sin of the token
// (data ring: [B][hd], cos in the first half).
// One thread: one pair (i, i + half) of one head of one token. No workgroup memory.
// Host dispatch: ceil(B·nh·hd/2 / WG) workgroups, folded into (x, y) past 65535.

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let idx = g.x + g.y * nw.x * WG;
  let half = p.hd / 2u;
  if (idx >= p.B * p.nh * half) { return; }
  let i = idx % half;
  let h = (idx / half) % p.nh;
  let b = idx / (half * p.nh);
  let o = p.xOff + b * p.xStride + h * p.hd;
  let c = bitcast<f32>(data[p.csOff + b * p.hd + i]);
  let s = bitcast<f32>(data[p.csOff + b * p.hd + half + i]);
  let x0 = act[o + i];
  let x1 = act[o + i + half];
  act[o + i] = x0 * c - x1 * s;
  act[o + i + half] = x1 * c + x0 * s;
}
