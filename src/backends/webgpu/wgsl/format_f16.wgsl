// Weight format f16 (layout.ts): block blk of a row is quant words [16·blk, 16·blk + 16), two
// IEEE halves per word (element 2k in the low half), decoded with unpack2x16float (core WGSL, no
// shader-f16 needed). No scale.

fn h4(a: u32, b: u32) -> vec4<f32> { return vec4<f32>(unpack2x16float(a), unpack2x16float(b)); }

fn wdecode(row: u32, blk: u32) -> Blk {
  let q = row * p.qv + blk * 4u;
  let a = w[q]; let b = w[q + 1u]; let c = w[q + 2u]; let d = w[q + 3u];
  return Blk(h4(a.x, a.y), h4(a.z, a.w), h4(b.x, b.y), h4(b.z, b.w), h4(c.x, c.y), h4(c.z, c.w), h4(d.x, d.y), h4(d.z, d.w), 0u);
}

fn wscale(s: f32, sc: u32) -> f32 { return s; }
