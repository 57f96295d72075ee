// Mixture-of-experts element-wise pieces (spec §4.6). Routing (top-k over E logits) runs on the
// host: it is E values per token.
import { exp4 } from './common';

/** Clamped SwiGLU of gpt-oss: u [B][2I] interleaved (gate 2j, up 2j+1) → a [B][I]. */
export function swiglu_oai(u: usize, a: usize, I: i32, B: i32, alpha: f32, limit: f32): void {
  const lim = f32x4.splat(limit), nlim = f32x4.splat(-limit), na = f32x4.splat(-alpha), one = f32x4.splat(1);
  for (let b = 0; b < B; b++) {
    const ur = u + ((<usize>b * 2 * I) << 2), ar = a + ((<usize>b * I) << 2);
    let j = 0;
    for (; j + 4 <= I; j += 4) {
      const v0 = v128.load(ur + (<usize>j << 3)), v1 = v128.load(ur + (<usize>j << 3), 16);
      const g = f32x4.min(v128.shuffle<f32>(v0, v1, 0, 2, 4, 6), lim); //                    gate: clamped from above only
      const l = f32x4.min(f32x4.max(v128.shuffle<f32>(v0, v1, 1, 3, 5, 7), nlim), lim); //   up: clamped both sides
      v128.store(ar + (<usize>j << 2), f32x4.mul(f32x4.div(g, f32x4.add(one, exp4(f32x4.mul(na, g)))), f32x4.add(l, one)));
    }
    for (; j < I; j++) {
      const g = min(load<f32>(ur + (<usize>j << 3)), limit), l = min(max(load<f32>(ur + (<usize>j << 3), 4), -limit), limit);
      store<f32>(ar + (<usize>j << 2), g / (<f32>1 + f32x4.extract_lane(exp4(f32x4.splat(-alpha * g)), 0)) * (l + 1));
    }
  }
}

/** Scalar twin of swiglu_oai (tests), with the library's Mathf.exp. */
export function swiglu_oai_ref(u: usize, a: usize, I: i32, B: i32, alpha: f32, limit: f32): void {
  for (let b = 0; b < B; b++) for (let j = 0; j < I; j++) {
    const src = u + ((<usize>b * 2 * I + 2 * j) << 2);
    const g = min(load<f32>(src), limit);
    const l = min(max(load<f32>(src, 4), -limit), limit);
    store<f32>(a + ((<usize>b * I + j) << 2), g / (<f32>1 + Mathf.exp(-alpha * g)) * (l + 1));
  }
}

/** y[b][i] += bias[i] for B rows of n. */
export function add_bias(y: usize, bias: usize, n: i32, B: i32): void {
  for (let b = 0; b < B; b++) {
    const yr = y + ((<usize>b * n) << 2);
    let i = 0;
    for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; v128.store(yr + o, f32x4.add(v128.load(yr + o), v128.load(bias + o))); }
    for (; i < n; i++) { const o = <usize>i << 2; store<f32>(yr + o, load<f32>(yr + o) + load<f32>(bias + o)); }
  }
}

/** y[i] += s · x[i]. */
export function axpy(y: usize, x: usize, s: f32, n: i32): void {
  const sv = f32x4.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(sv, v128.load(x + o)))); }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(y + o, load<f32>(y + o) + s * load<f32>(x + o)); }
}
