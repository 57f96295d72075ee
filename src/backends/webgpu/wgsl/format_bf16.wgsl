// Weight format bf16 (layout.ts): block blk of a row is quant words [16·blk, 16·blk + 16), two
// bf16 per word (element 2k in the low half); a bf16 is the high half of an f32 (spec §2.2).
// No scale.

fn bf16x2(u: u32) -> vec2<f32> {
  return vec2<f32>(bitcast<f32>(u << 16u), bitcast<f32>(u & 0xffff0000u));
}

fn wdecode(row: u32, blk: u32) -> u32 {
  let q = row * p.qv + blk * 4u;
  for (var i = 0u; i < 4u; i++) {
    let u = w[q + i];
    wv[2u * i] = vec4<f32>(bf16x2(u.x), bf16x2(u.y));
    wv[2u * i + 1u] = vec4<f32>(bf16x2(u.z), bf16x2(u.w));
  }
  return 0u;
}

fn wscale(s: f32, sc: u32) -> f32 { return s; }
