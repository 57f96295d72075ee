// matmul — y = x·Wᵀ (+ bias) over one weight part, any storage format (the format file supplies
// wdecode/wscale). MODE picks where the tokens come from and where results go:
//   MODE_PLAIN         tokens 0..nTok of x; y[t][row] = acc + bias[row]
//   MODE_EXPERT_TOKEN  one expert per workgroup row (wg.y): its slots s = b·K + j from the route
//                      lists, input x[b] (the token's row); y[s][row] = acc + bias[e][row]
//   MODE_EXPERT_SLOT   the same with input x[s] (the slot's own row)
//
// One workgroup: RPW = (WG / TPR) · RT consecutive output rows of one matrix, for all of its
// tokens, T at a time. One thread (row group tid / TPR, lane tid % TPR): RT adjacent rows,
// blocks blk ≡ lane (mod TPR) of them, each block decoded once per token tile and dotted with T
// token rows: RT·T partial sums in registers.
// Workgroup memory (TPR > 1 only): red[RT·T][WG] partial sums, tree-reduced over the TPR lanes.
// TPR trades coalescing (GPUs want 8–32 lanes on a row) against barriers (a software rasteriser
// runs a barrier as a coroutine switch and prefers TPR = 1): the host picks it per adapter.
// Host dispatch: (ceil(rows / RPW), experts in the part, or 1 for MODE_PLAIN).

const MODE_PLAIN = 0u;
const MODE_EXPERT_TOKEN = 1u;
const MODE_EXPERT_SLOT = 2u;

const RPW = (WG / TPR) * RT;

var<workgroup> red: array<f32, RT * T * WG>;
var<workgroup> wn: u32;

// x[k..k+4) of the row starting at act[base]; zero past the logical row length.
// x[k..k+4) of the row starting at act[base]. Only rows whose length is not a whole number of
// blocks (RAGGED, dense formats) pay for the bounds check: past the end reads as 0.
fn xload4(base: u32, k: u32) -> vec4<f32> {
  if (RAGGED != 0u && k + 4u > p.cols) {
    var v = vec4<f32>(0.0);
    for (var i = 0u; i < 4u; i++) {
      if (k + i < p.cols) { v[i] = act[base + k + i]; }
    }
    return v;
  }
  return vec4<f32>(act[base + k], act[base + k + 1u], act[base + k + 2u], act[base + k + 3u]);
}

fn expert(unit: u32) -> u32 { return p.e0 + unit; }

fn ntok(unit: u32) -> u32 {
  if (MODE == MODE_PLAIN) { return p.nTok; }
  return route[p.cOff + expert(unit)];
}

// Entry t of a workgroup's token list: the token (plain) or the slot b·K + j (MoE).
fn entry(unit: u32, t: u32) -> u32 {
  if (MODE == MODE_PLAIN) { return t; }
  return route[p.lOff + expert(unit) * p.maxB + t];
}

fn xrow(e: u32) -> u32 {
  if (MODE == MODE_EXPERT_TOKEN) { return p.xOff + (e / p.K) * p.xStride; }
  return p.xOff + e * p.xStride;
}

// Lane 0 of a row group writes its RT rows × T tokens (acc already reduced over the lanes).
fn store(unit: u32, r0: u32, t0: u32, n: u32, acc: ptr<function, array<f32, RT * T>>) {
  for (var t = 0u; t < T; t++) {
    if (t0 + t >= n) { break; }
    let y = p.yOff + entry(unit, t0 + t) * p.yStride;
    for (var r = 0u; r < RT; r++) {
      let bo = p.biasOff + expert(unit) * p.rows + r0 + r;
      var v = (*acc)[r * T + t];
      if (p.bias != 0u) { v += vec[bo]; }
      act[y + r0 + r] = v;
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let lane = tid % TPR;
  let r0 = wg.x * RPW + (tid / TPR) * RT;
  let unit = wg.y;
  if (tid == 0u) { wn = ntok(unit); }
  let n = workgroupUniformLoad(&wn);
  for (var t0 = 0u; t0 < n; t0 += T) {
    var acc: array<f32, RT * T>;
    for (var i = 0u; i < RT * T; i++) { acc[i] = 0.0; } // (naga hoists the declaration out of the loop)
    if (r0 < p.rows) {
      for (var blk = lane; blk < p.nb; blk += TPR) {
        for (var r = 0u; r < RT; r++) {
          let d = wdecode(unit * p.rows + r0 + r, blk);
          for (var t = 0u; t < T; t++) {
            let xb = xrow(entry(unit, min(t0 + t, n - 1u)));
            let k = blk * 32u;
            let s = dot(d.v0, xload4(xb, k)) + dot(d.v1, xload4(xb, k + 4u)) + dot(d.v2, xload4(xb, k + 8u)) + dot(d.v3, xload4(xb, k + 12u)) +
                    dot(d.v4, xload4(xb, k + 16u)) + dot(d.v5, xload4(xb, k + 20u)) + dot(d.v6, xload4(xb, k + 24u)) + dot(d.v7, xload4(xb, k + 28u));
            acc[r * T + t] += wscale(s, d.sc);
          }
        }
      }
    }
    if (TPR > 1u) {
      for (var i = 0u; i < RT * T; i++) { red[i * WG + tid] = acc[i]; }
      workgroupBarrier();
      for (var h = TPR / 2u; h > 0u; h >>= 1u) {
        if (lane < h) {
          for (var i = 0u; i < RT * T; i++) { red[i * WG + tid] += red[i * WG + tid + h]; }
        }
        workgroupBarrier();
      }
      for (var i = 0u; i < RT * T; i++) { acc[i] = red[i * WG + tid]; }
      workgroupBarrier();
    }
    if (lane == 0u && r0 < p.rows) { store(unit, r0, t0, n, &acc); }
  }
}
