// Weight format bf16 (layout.ts): block blk of a row is quant words [16·blk, 16·blk + 16), two
// bf16 per word (element 2k in the low half); a bf16 is the high half of an f32 (spec §2.2).
// No scale.

fn b4(a: u32, b: u32) -> vec4<f32> {
  return vec4<f32>(bitcast<f32>(a << 16u), bitcast<f32>(a & 0xffff0000u), bitcast<f32>(b << 16u), bitcast<f32>(b & 0xffff0000u));
}

fn wdecode(row: u32, blk: u32) -> Blk {
  let q = row * p.qv + blk * 4u;
  let a = w[q]; let b = w[q + 1u]; let c = w[q + 2u]; let d = w[q + 3u];
  return Blk(b4(a.x, a.y), b4(a.z, a.w), b4(b.x, b.y), b4(b.z, b.w), b4(c.x, c.y), b4(c.z, c.w), b4(d.x, d.y), b4(d.z, d.w), 0u);
}

fn wscale(s: f32, sc: u32) -> f32 { return s; }
