// Weight format q8_0 (layout.ts): block blk of a row is quant words [8·blk, 8·blk + 8), four
// int8 codes per word (element 4k in the low byte); its scale d is one f32 word in the scales
// region (converted exactly from the file's f16 at load). value = d · code.

fn i8x4(u: u32) -> vec4<f32> {
  let s = vec4<i32>(bitcast<i32>(u << 24u), bitcast<i32>(u << 16u), bitcast<i32>(u << 8u), bitcast<i32>(u));
  return vec4<f32>(s >> vec4<u32>(24u));
}

fn wdecode(row: u32, blk: u32) -> Blk {
  let q = row * p.qv + blk * 2u;
  let a = w[q];
  let b = w[q + 1u];
  return Blk(i8x4(a.x), i8x4(a.y), i8x4(a.z), i8x4(a.w), i8x4(b.x), i8x4(b.y), i8x4(b.z), i8x4(b.w), wword(p.sOff + row * p.sw + blk));
}

fn wscale(s: f32, sc: u32) -> f32 { return s * bitcast<f32>(sc); }
