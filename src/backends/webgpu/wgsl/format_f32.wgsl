// Weight format f32 (layout.ts): block blk of a row is quant words [32·blk, 32·blk + 32), i.e.
// 8 vec4<u32> reinterpreted as f32. No scale.
// Provides wdecode(row, blk) → the block's 32 values and scale token; wscale(s, token) → s times
// the block scale.

fn wdecode(row: u32, blk: u32) -> Blk {
  let q = row * p.qv + blk * 8u;
  return Blk(bitcast<vec4<f32>>(w[q]), bitcast<vec4<f32>>(w[q + 1u]), bitcast<vec4<f32>>(w[q + 2u]), bitcast<vec4<f32>>(w[q + 3u]),
             bitcast<vec4<f32>>(w[q + 4u]), bitcast<vec4<f32>>(w[q + 5u]), bitcast<vec4<f32>>(w[q + 6u]), bitcast<vec4<f32>>(w[q + 7u]), 0u);
}

fn wscale(s: f32, sc: u32) -> f32 { return s; }
