// Weight format mxfp4 (layout.ts; spec §3.6): block blk of a row is one vec4<u32> = GGML qs[16]
// (byte j: low nibble = element j, high nibble = element j + 16); its E8M0 exponent is byte
// blk % 4 of scale word blk / 4. value = FP4[code] · 2^(e − 127), applied to the block's dot
// product so no weight is ever rounded.

// E2M1 (spec §3.1), four codes at once: code = s·8 + m; |value| = 0, 0.5 for m = 0, 1, else
// (1 + (m & 1)/2)·2^((m >> 1) − 1), built as f32 bits (no table: a software rasteriser turns a
// dynamically indexed array into scattered memory accesses).
fn e2m1(c: vec4<u32>) -> vec4<f32> {
  let m = c & vec4<u32>(7u);
  let normal = (((m >> vec4<u32>(1u)) + vec4<u32>(126u)) << vec4<u32>(23u)) | ((m & vec4<u32>(1u)) << vec4<u32>(22u));
  let small = select(vec4<u32>(0u), vec4<u32>(0x3f000000u), m == vec4<u32>(1u));
  return bitcast<vec4<f32>>(select(small, normal, m >= vec4<u32>(2u)) | ((c & vec4<u32>(8u)) << vec4<u32>(28u)));
}

// Elements 4i..4i+3 (sh = 0: low nibbles of word i) or 16+4i..16+4i+3 (sh = 4: high nibbles).
fn fp4x4(u: u32, sh: u32) -> vec4<f32> {
  return e2m1((vec4<u32>(u) >> vec4<u32>(sh, sh + 8u, sh + 16u, sh + 24u)) & vec4<u32>(15u));
}

fn wdecode(row: u32, blk: u32) -> Blk {
  let q = w[row * p.qv + blk];
  return Blk(fp4x4(q.x, 0u), fp4x4(q.y, 0u), fp4x4(q.z, 0u), fp4x4(q.w, 0u), fp4x4(q.x, 4u), fp4x4(q.y, 4u), fp4x4(q.z, 4u), fp4x4(q.w, 4u),
             (wword(p.sOff + row * p.sw + (blk >> 2u)) >> (8u * (blk & 3u))) & 255u);
}

// s · 2^(e − 127) for e in 0..254 (255 is refused at load). e = 0 would need the subnormal factor
// 2^−127, which a GPU may flush to zero: apply it as two normal factors instead.
fn wscale(s: f32, e: u32) -> f32 {
  if (e == 0u) { return (s * 0x1p-64f) * 0x1p-63f; }
  return s * bitcast<f32>(e << 23u);
}
