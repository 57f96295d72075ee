// Scalar twins of the WebGPU kernels: plain f64 TypeScript straight from the spec (§3–§4), the
// oracle of test/helpers/webgpu-kernels.ts. Each returns the value and, for sums, Σ|terms| so a
// check can scale its tolerance to the magnitudes involved.

export interface Sum { y: Float64Array; mag: Float64Array }

/** y[b][r] = Σ_c W[r][c]·x[b][c] (+ bias[r]); W as f32 values [rows, cols]. */
export function matmulTwin(W: Float32Array, rows: number, cols: number, x: Float32Array, B: number, bias?: Float32Array): Sum {
  const y = new Float64Array(B * rows), mag = new Float64Array(B * rows);
  for (let b = 0; b < B; b++) for (let r = 0; r < rows; r++) {
    let s = bias ? bias[r] : 0, m = bias ? Math.abs(bias[r]) : 0;
    for (let c = 0; c < cols; c++) { const t = W[r * cols + c] * x[b * cols + c]; s += t; m += Math.abs(t); }
    y[b * rows + r] = s; mag[b * rows + r] = m;
  }
  return { y, mag };
}

/** Spec §4.3. */
export function rmsnormTwin(x: Float32Array, w: Float32Array, n: number, B: number, eps: number): Float64Array {
  const y = new Float64Array(B * n);
  for (let b = 0; b < B; b++) {
    let ss = 0;
    for (let i = 0; i < n; i++) ss += x[b * n + i] ** 2;
    const r = 1 / Math.sqrt(ss / n + eps);
    for (let i = 0; i < n; i++) y[b * n + i] = w[i] * x[b * n + i] * r;
  }
  return y;
}

/** Spec §4.5.1, cs[b] = [cos·mscale ×half, sin·mscale ×half]. */
export function ropeTwin(x: Float32Array, nh: number, hd: number, cs: Float32Array, B: number): Float64Array {
  const y = Float64Array.from(x), half = hd / 2;
  for (let b = 0; b < B; b++) for (let h = 0; h < nh; h++) for (let i = 0; i < half; i++) {
    const o = (b * nh + h) * hd, c = cs[b * hd + i], s = cs[b * hd + half + i];
    y[o + i] = x[o + i] * c - x[o + i + half] * s;
    y[o + i + half] = x[o + i + half] * c + x[o + i] * s;
  }
  return y;
}

/**
 * Spec §4.5.4–§4.5.6 for query token b at position pos0 + b over the full K/V history
 * (kHist/vHist [positions][nkv·hd]): sink in the denominator only, GQA, window (0 = none).
 */
export function attentionTwin(q: Float32Array, kHist: Float32Array, vHist: Float32Array, sinks: Float32Array,
  nq: number, nkv: number, hd: number, pos0: number, B: number, window: number): Float64Array {
  const out = new Float64Array(B * nq * hd), kvw = nkv * hd, group = nq / nkv;
  for (let b = 0; b < B; b++) for (let h = 0; h < nq; h++) {
    const p = pos0 + b, lo = window > 0 ? Math.max(0, p - window + 1) : 0, kh = Math.floor(h / group);
    const s: number[] = [];
    for (let t = lo; t <= p; t++) {
      let d = 0;
      for (let i = 0; i < hd; i++) d += q[(b * nq + h) * hd + i] * kHist[t * kvw + kh * hd + i];
      s.push(d / Math.sqrt(hd));
    }
    const m = Math.max(sinks[h], ...s);
    const den = Math.exp(sinks[h] - m) + s.reduce((a, v) => a + Math.exp(v - m), 0);
    for (let i = 0; i < hd; i++) {
      let o = 0;
      for (let t = lo; t <= p; t++) o += (Math.exp(s[t - lo] - m) / den) * vHist[t * kvw + kh * hd + i];
      out[(b * nq + h) * hd + i] = o;
    }
  }
  return out;
}

/** The gpt-oss activation (spec §4.6): gate clamped above, up both sides, (up + 1). */
export function swigluTwin(g: number, u: number, alpha = 1.702, limit = 7): number {
  const gc = Math.min(g, limit), uc = Math.min(Math.max(u, -limit), limit);
  return (gc / (1 + Math.exp(-alpha * gc))) * (uc + 1);
}

export interface MoeTwinWeights {
  router: Float32Array; routerBias: Float32Array; //  [E, H], [E]
  gateUp: Float32Array; gateUpBias: Float32Array; //  [E, 2I, H] interleaved, [E, 2I]
  down: Float32Array; downBias: Float32Array; //      [E, H, I], [E, H]
}

/** Spec §4.6: top-K by value (ties: lower expert id), softmax over the K, weighted expert sum. */
export function moeTwin(x: Float32Array, w: MoeTwinWeights, B: number, E: number, K: number, H: number, I: number): { y: Float64Array; top: number[][] } {
  const y = new Float64Array(B * H), tops: number[][] = [];
  for (let b = 0; b < B; b++) {
    const xb = x.subarray(b * H, (b + 1) * H);
    const g = Array.from({ length: E }, (_, e) => {
      let s = w.routerBias[e];
      for (let c = 0; c < H; c++) s += w.router[e * H + c] * xb[c];
      return Math.fround(s);
    });
    const top = [...g.keys()].sort((a, c) => g[c] - g[a] || a - c).slice(0, K);
    tops.push(top);
    const den = top.reduce((a, e) => a + Math.exp(g[e] - g[top[0]]), 0);
    for (const e of top) {
      const wt = Math.exp(g[e] - g[top[0]]) / den;
      const act = new Float64Array(I);
      for (let j = 0; j < I; j++) {
        let gate = w.gateUpBias[e * 2 * I + 2 * j], up = w.gateUpBias[e * 2 * I + 2 * j + 1];
        for (let c = 0; c < H; c++) {
          gate += w.gateUp[(e * 2 * I + 2 * j) * H + c] * xb[c];
          up += w.gateUp[(e * 2 * I + 2 * j + 1) * H + c] * xb[c];
        }
        act[j] = swigluTwin(gate, up);
      }
      for (let r = 0; r < H; r++) {
        let o = w.downBias[e * H + r];
        for (let j = 0; j < I; j++) o += w.down[(e * H + r) * I + j] * act[j];
        y[b * H + r] += wt * o;
      }
    }
  }
  return { y, top: tops };
}
