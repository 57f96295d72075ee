// argmax — out[b] = the index of the largest of x[b][0 … n) as f32, the lowest index among equals
// (as backends/argmax.ts: a greedy step reads back B ids instead of B rows of logits).
// One workgroup: one row. One thread: columns c ≡ tid (mod WG), then a tree reduction of
// (value, index) pairs in workgroup memory. Host dispatch: (B).

var<workgroup> bv: array<f32, WG>;
var<workgroup> bi: array<u32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let x0 = p.xOff + wg.x * p.xStride;
  var best = -3.4028234e38;
  var at = 0xffffffffu;
  for (var c = tid; c < p.n; c += WG) {
    let v = act[x0 + c];
    if (at == 0xffffffffu || v > best) { best = v; at = c; }
  }
  bv[tid] = best;
  bi[tid] = at;
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h >>= 1u) {
    if (tid < h) {
      let v = bv[tid + h];
      let i = bi[tid + h];
      if (i != 0xffffffffu && (bi[tid] == 0xffffffffu || v > bv[tid] || (v == bv[tid] && i < bi[tid]))) { bv[tid] = v; bi[tid] = i; }
    }
    workgroupBarrier();
  }
  if (tid == 0u) { act[p.yOff + wg.x] = f32(bi[0]); }
}
