// Weight format f32 (layout.ts): block blk of a row is quant words [32·blk, 32·blk + 32), i.e.
// 8 vec4<u32> reinterpreted as f32. No scale.
// Provides wdecode(row, blk) → fills wv with the block's 32 values, returns the scale token;
// wscale(s, token) → s times the block scale.

fn wdecode(row: u32, blk: u32) -> u32 {
  let q = row * p.qv + blk * 8u;
  for (var i = 0u; i < 8u; i++) { wv[i] = bitcast<vec4<f32>>(w[q + i]); }
  return 0u;
}

fn wscale(s: f32, sc: u32) -> f32 { return s; }
