// Weight format q8_0 (layout.ts): block blk of a row is quant words [8·blk, 8·blk + 8), four
// int8 codes per word (element 4k in the low byte); its scale d is one f32 word in the scales
// region (converted exactly from the file's f16 at load). value = d · code.

fn i8x4(u: u32) -> vec4<f32> {
  let s = vec4<i32>(bitcast<i32>(u << 24u), bitcast<i32>(u << 16u), bitcast<i32>(u << 8u), bitcast<i32>(u));
  return vec4<f32>(s >> vec4<u32>(24u));
}

fn wdecode(row: u32, blk: u32) -> u32 {
  let q = row * p.qv + blk * 2u;
  let a = w[q];
  let b = w[q + 1u];
  wv[0] = i8x4(a.x); wv[1] = i8x4(a.y); wv[2] = i8x4(a.z); wv[3] = i8x4(a.w);
  wv[4] = i8x4(b.x); wv[5] = i8x4(b.y); wv[6] = i8x4(b.z); wv[7] = i8x4(b.w);
  return wword(p.sOff + row * p.sw + blk);
}

fn wscale(s: f32, sc: u32) -> f32 { return s * bitcast<f32>(sc); }
