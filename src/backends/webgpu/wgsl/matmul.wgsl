// matmul — y = x·Wᵀ (+ bias) over one weight part, any storage format (the format file supplies
// wdecode/wscale). MODE picks where the tokens come from and where results go:
//   MODE_PLAIN    tokens 0..nTok of x; y[t][row] = acc + bias[row]
//   MODE_GATE_UP  one expert per workgroup row (wg.y): its slots from the route lists; the rows
//                 are interleaved gate/up pairs (spec §3.4), written through the clamped SwiGLU
//                 (spec §4.6) as a[slot][row / 2]
//   MODE_DOWN     one expert per wg.y: a[slot] → oe[slot][row] = acc + bias[e][row]
//
// One workgroup: R consecutive output rows of one matrix, for all of its tokens, T at a time.
// One thread: the 32-value blocks blk ≡ tid (mod WG) of those R rows, each decoded once per token
// tile and dotted with T token rows: R·T partial sums in registers.
// Workgroup memory: red[R·T][WG] partial sums, tree-reduced after each token tile.
// Host dispatch: (ceil(rows / R), experts in the part, or 1 for MODE_PLAIN).

const MODE_PLAIN = 0u;
const MODE_GATE_UP = 1u;
const MODE_DOWN = 2u;

var<workgroup> red: array<f32, R * T * WG>;
var<workgroup> wn: u32;

// x[k..k+4) of the row starting at act[base]; zero past the logical row length.
fn xload4(base: u32, k: u32) -> vec4<f32> {
  if (k + 4u <= p.cols) {
    return vec4<f32>(act[base + k], act[base + k + 1u], act[base + k + 2u], act[base + k + 3u]);
  }
  var v = vec4<f32>(0.0);
  for (var i = 0u; i < 4u; i++) {
    if (k + i < p.cols) { v[i] = act[base + k + i]; }
  }
  return v;
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
  if (MODE == MODE_GATE_UP) { return p.xOff + (e / p.K) * p.xStride; }
  return p.xOff + e * p.xStride;
}

// The clamped SwiGLU of gpt-oss (spec §4.6): gate clamped above only, up on both sides, (up + 1).
fn swiglu(g: f32, u: f32) -> f32 {
  let gc = min(g, p.limit);
  let uc = clamp(u, -p.limit, p.limit);
  return gc / (1.0 + exp(-p.alpha * gc)) * (uc + 1.0);
}

fn store(unit: u32, r0: u32, t0: u32, n: u32, tid: u32) {
  if (MODE == MODE_GATE_UP) {
    if (tid < (R / 2u) * T) {
      let j = tid / T;
      let t = tid % T;
      let row = r0 + 2u * j;
      if (row < p.rows && t0 + t < n) {
        let bo = p.biasOff + expert(unit) * p.rows + row;
        let g = red[(2u * j * T + t) * WG] + vec[bo];
        let u = red[((2u * j + 1u) * T + t) * WG] + vec[bo + 1u];
        act[p.yOff + entry(unit, t0 + t) * p.yStride + row / 2u] = swiglu(g, u);
      }
    }
  } else {
    if (tid < R * T) {
      let row = r0 + tid / T;
      let t = tid % T;
      if (row < p.rows && t0 + t < n) {
        var v = red[tid * WG];
        if (p.bias != 0u) { v += vec[p.biasOff + expert(unit) * p.rows + row]; }
        act[p.yOff + entry(unit, t0 + t) * p.yStride + row] = v;
      }
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let r0 = wg.x * R;
  let unit = wg.y;
  if (tid == 0u) { wn = ntok(unit); }
  let n = workgroupUniformLoad(&wn);
  for (var t0 = 0u; t0 < n; t0 += T) {
    var acc: array<f32, R * T>;
    for (var i = 0u; i < R * T; i++) { acc[i] = 0.0; } // (naga hoists the declaration out of the loop)
    for (var blk = tid; blk < p.nb; blk += WG) {
      for (var r = 0u; r < R; r++) {
        let sc = wdecode(unit * p.rows + min(r0 + r, p.rows - 1u), blk);
        for (var t = 0u; t < T; t++) {
          let xb = xrow(entry(unit, min(t0 + t, n - 1u)));
          var s = 0.0;
          for (var i = 0u; i < 8u; i++) { s += dot(wv[i], xload4(xb, blk * 32u + 4u * i)); }
          acc[r * T + t] += wscale(s, sc);
        }
      }
    }
    for (var i = 0u; i < R * T; i++) { red[i * WG + tid] = acc[i]; }
    workgroupBarrier();
    for (var h = WG / 2u; h > 0u; h >>= 1u) {
      if (tid < h) {
        for (var i = 0u; i < R * T; i++) { red[i * WG + tid] += red[i * WG + tid + h]; }
      }
      workgroupBarrier();
    }
    store(unit, r0, t0, n, tid);
    workgroupBarrier();
  }
}
