// RMSNorm (spec §4.3): y = w ⊙ x / sqrt(mean(x²) + eps), in f32; w multiplies directly (no +1).
import { hsum } from './common';

export function rmsnorm(x: usize, w: usize, y: usize, n: i32, B: i32, eps: f32): void {
  for (let b = 0; b < B; b++) {
    const xr = x + ((<usize>b * n) << 2), yr = y + ((<usize>b * n) << 2);
    let a = f32x4.splat(0);
    let i = 0;
    for (; i + 4 <= n; i += 4) { const v = v128.load(xr + (<usize>i << 2)); a = f32x4.add(a, f32x4.mul(v, v)); }
    let ss = hsum(a);
    for (; i < n; i++) { const v = load<f32>(xr + (<usize>i << 2)); ss += v * v; }
    const s: f32 = <f32>1 / sqrt<f32>(ss / <f32>n + eps);
    const sv = f32x4.splat(s);
    i = 0;
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(yr + o, f32x4.mul(v128.load(w + o), f32x4.mul(v128.load(xr + o), sv)));
    }
    for (; i < n; i++) { const o = <usize>i << 2; store<f32>(yr + o, load<f32>(w + o) * (load<f32>(xr + o) * s)); }
  }
}

export function rmsnorm_ref(x: usize, w: usize, y: usize, n: i32, B: i32, eps: f32): void {
  for (let b = 0; b < B; b++) {
    let ss: f32 = 0;
    for (let i = 0; i < n; i++) { const v = load<f32>(x + ((<usize>b * n + i) << 2)); ss += v * v; }
    const s: f32 = <f32>1 / sqrt<f32>(ss / <f32>n + eps);
    for (let i = 0; i < n; i++) {
      const o = (<usize>b * n + i) << 2;
      store<f32>(y + o, load<f32>(w + ((<usize>i) << 2)) * (load<f32>(x + o) * s));
    }
  }
}
