// Weight format f16 (layout.ts): block blk of a row is quant words [16·blk, 16·blk + 16), two
// IEEE halves per word (element 2k in the low half), decoded with unpack2x16float (core WGSL, no
// shader-f16 needed). No scale.

fn wdecode(row: u32, blk: u32) -> u32 {
  let q = row * p.qv + blk * 4u;
  for (var i = 0u; i < 4u; i++) {
    let u = w[q + i];
    wv[2u * i] = vec4<f32>(unpack2x16float(u.x), unpack2x16float(u.y));
    wv[2u * i + 1u] = vec4<f32>(unpack2x16float(u.z), unpack2x16float(u.w));
  }
  return 0u;
}

fn wscale(s: f32, sc: u32) -> f32 { return s; }
