// embed — out[b] = table[ids[b]] decoded to f32 (spec §4.2), for the rows of one weight part
// (any format: the format file supplies wdecode/wscale; every value is exact).
// One workgroup: one token. One thread: blocks blk ≡ tid (mod WG) of that token's row.
// Tokens whose id lies outside this part return at once (the host dispatches only the parts
// holding one of the ids). Host dispatch: (B).

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let b = wg.x;
  let id = data[p.idsOff + b];
  if (id < p.row0 || id >= p.row0 + p.rows) { return; }
  let o = p.yOff + b * p.yStride;
  for (var blk = tid; blk < p.nb; blk += WG) {
    let d = wdecode(id - p.row0, blk);
    let v = array<vec4<f32>, 8>(d.v0, d.v1, d.v2, d.v3, d.v4, d.v5, d.v6, d.v7);
    for (var i = 0u; i < 8u; i++) {
      for (var k = 0u; k < 4u; k++) {
        let c = blk * 32u + 4u * i + k;
        if (c < p.cols) { act[o + c] = wscale(v[i][k], d.sc); }
      }
    }
  }
}
