// repack — canonical weight bytes (formats.ts: the blocks as the file holds them) → the
// word-aligned part layout of layout.ts, on the GPU, so the host only copies file bytes into
// staging memory (issue 12). layout.ts packPart is its scalar twin: the tests compare the two bit
// for bit.
// `raw` holds `rows` whole canonical rows of `rb` bytes from its start; they become rows
// dstRow… of the part `w`. One thread: one output word, the quant words first (rows × qw,
// row-major), then the scale words (rows × sw). FMT:
//   0 dense (f32/f16/bf16)  the row's bytes, zero-padded to whole 32-value blocks
//   1 q8_0                  quants = bytes 2…33 of each 34-byte block; scale = its f16 d as f32 (exact)
//   2 mxfp4                 quants = bytes 1…16 of each 17-byte block; scale word = the E8M0 bytes
//                           of 4 blocks (block 4s + m in byte m)
// E8M0 255 (NaN) is not looked for here: the readers refuse it (model/records.ts).
// Host dispatch: rows × (qw + sw) threads, folded into (x, y) past 65535 workgroups.

fn rbyte(o: u32) -> u32 { return (raw[o >> 2u] >> ((o & 3u) * 8u)) & 255u; }

// The 4 bytes at byte offset o (any alignment), little-endian.
fn rword(o: u32) -> u32 {
  let i = o >> 2u;
  let sh = (o & 3u) * 8u;
  if (sh == 0u) { return raw[i]; }
  return (raw[i] >> sh) | (raw[i + 1u] << (32u - sh));
}

// f16 bits → the bits of the same value as f32, by integer arithmetic (no float conversion that
// might flush a subnormal); NaN becomes the quiet NaN a host Float32Array store writes.
fn f16to32(h: u32) -> u32 {
  let s = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 31u;
  let m = h & 0x3ffu;
  if (e == 31u) { return select(s | 0x7f800000u, 0x7fc00000u, m != 0u); }
  if (e != 0u) { return s | ((e + 112u) << 23u) | (m << 13u); }
  if (m == 0u) { return s; }
  let top = 31u - countLeadingZeros(m); // m · 2^-24 = 1.f · 2^(top − 24)
  return s | ((top + 103u) << 23u) | ((m << (23u - top)) & 0x7fffffu);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = g.x + g.y * nw.x * WG;
  let nq = p.rows * p.qw;
  if (i < nq) {
    let r = i / p.qw;
    let j = i % p.qw;
    let row = r * p.rb;
    var v = 0u;
    if (FMT == 0u) {
      let b = 4u * j;
      if (b + 4u <= p.rb) {
        v = rword(row + b);
      } else if (b < p.rb) {
        v = rword(row + b) & ((1u << (8u * (p.rb - b))) - 1u);
      }
    } else if (FMT == 1u) {
      v = rword(row + (j >> 3u) * 34u + 2u + 4u * (j & 7u));
    } else {
      v = rword(row + (j >> 2u) * 17u + 1u + 4u * (j & 3u));
    }
    w[(p.dstRow + r) * p.qw + j] = v;
    return;
  }
  if (i >= nq + p.rows * p.sw) { return; }
  let k = i - nq;
  let r = k / p.sw;
  let s = k % p.sw;
  let row = r * p.rb;
  var v = 0u;
  if (FMT == 1u) {
    v = f16to32(rword(row + s * 34u) & 0xffffu);
  } else if (FMT == 2u) {
    for (var m = 0u; m < 4u; m++) {
      let blk = 4u * s + m;
      if (blk < p.nb) { v |= rbyte(row + blk * 17u) << (8u * m); }
    }
  }
  w[p.partRows * p.qw + (p.dstRow + r) * p.sw + s] = v;
}
