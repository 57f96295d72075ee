// Weight format mxfp4 (layout.ts; spec §3.6): block blk of a row is one vec4<u32> = GGML qs[16]
// (byte j: low nibble = element j, high nibble = element j + 16); its E8M0 exponent is byte
// blk % 4 of scale word blk / 4. value = FP4[code] · 2^(e − 127), applied to the block's dot
// product so no weight is ever rounded.

// E2M1 values by 4-bit code (spec §3.1): the OpenAI table, not GGML's doubled one.
var<private> FP4: array<f32, 16> = array<f32, 16>(0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0,
                                                  -0.0, -0.5, -1.0, -1.5, -2.0, -3.0, -4.0, -6.0);

// Elements 4i..4i+3 (sh = 0: low nibbles of word i) or 16+4i..16+4i+3 (sh = 4: high nibbles).
fn fp4x4(u: u32, sh: u32) -> vec4<f32> {
  return vec4<f32>(FP4[(u >> sh) & 15u], FP4[(u >> (sh + 8u)) & 15u], FP4[(u >> (sh + 16u)) & 15u], FP4[(u >> (sh + 24u)) & 15u]);
}

fn wdecode(row: u32, blk: u32) -> u32 {
  let q = w[row * p.qv + blk];
  wv[0] = fp4x4(q.x, 0u); wv[1] = fp4x4(q.y, 0u); wv[2] = fp4x4(q.z, 0u); wv[3] = fp4x4(q.w, 0u);
  wv[4] = fp4x4(q.x, 4u); wv[5] = fp4x4(q.y, 4u); wv[6] = fp4x4(q.z, 4u); wv[7] = fp4x4(q.w, 4u);
  return (wword(p.sOff + row * p.sw + (blk >> 2u)) >> (8u * (blk & 3u))) & 255u;
}

// s · 2^(e − 127) for e in 0..254 (255 is refused at load). e = 0 would need the subnormal factor
// 2^−127, which a GPU may flush to zero: apply it as two normal factors instead.
fn wscale(s: f32, e: u32) -> f32 {
  if (e == 0u) { return (s * 0x1p-64f) * 0x1p-63f; }
  return s * bitcast<f32>(e << 23u);
}
