// Deterministic random numbers for synthetic checkpoints. Every row of every tensor has its own
// stream, keyed by (seed, tensor name, row): any range of rows can be produced on its own, in any
// order, and the bytes do not depend on how a writer chunks its work (random access is what lets
// the writers stream a 1.16 GB embedding in 16 MiB pieces).
//
// The generator is Marsaglia's xorshift128 (four 32-bit words, 2^128 − 1 period): cheap enough
// that 9.5 GB of MXFP4 nibbles cost seconds in plain JS, and random enough for weights that only
// need to look like weights. Normal draws come from a 65536-entry inverse-CDF table, two per u32.

/** FNV-1a over the UTF-16 units of `s` (canonical tensor names are ASCII). */
export function hashName(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** murmur3's 32-bit finaliser: a bijection with good avalanche. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** xorshift128 reseeded per (seed, name hash, row); `seed` may be any safe integer ≥ 0. */
export class RowRng {
  private a = 1;
  private b = 0;
  private c = 0;
  private d = 0;

  reset(seed: number, name: number, row: number): this {
    const lo = seed >>> 0, hi = Math.floor(seed / 2 ** 32) >>> 0;
    // Each step folds one key word into a bijective mix, so distinct rows give distinct states.
    let h = fmix32(lo ^ 0x9e3779b9);
    h = fmix32(h ^ hi);
    h = fmix32(h ^ name);
    h = fmix32((h ^ row) >>> 0);
    this.a = fmix32(h ^ 0x6a09e667);
    this.b = fmix32(this.a ^ 0xbb67ae85);
    this.c = fmix32(this.b ^ 0x3c6ef372);
    this.d = fmix32(this.c ^ 0xa54ff53a);
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1; // the one forbidden state
    return this;
  }

  /** Next uniform u32 (as a non-negative number). */
  next(): number {
    let t = this.a ^ (this.a << 11);
    this.a = this.b;
    this.b = this.c;
    this.c = this.d;
    t ^= t >>> 8;
    this.d = (this.d ^ (this.d >>> 19) ^ t) >>> 0;
    return this.d;
  }

  /** out[0..n) = the next n u32s (the bulk path: state in locals, ~1 ns a word). */
  fill(out: Uint32Array, n: number): void {
    let a = this.a, b = this.b, c = this.c, d = this.d;
    for (let i = 0; i < n; i++) {
      let t = a ^ (a << 11);
      a = b;
      b = c;
      c = d;
      t ^= t >>> 8;
      d = d ^ (d >>> 19) ^ t;
      out[i] = d;
    }
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d >>> 0;
  }

  /** `n` standard-normal draws into out[0..n), two per u32; `tmp` holds ≥ ⌈n/2⌉ words. */
  normals(out: Float32Array, n: number, tmp: Uint32Array): void {
    const m = (n + 1) >> 1;
    this.fill(tmp, m);
    const t = NORMAL;
    for (let i = 0, k = 0; k < m; k++, i += 2) {
      const u = tmp[k];
      out[i] = t[u & 0xffff];
      if (i + 1 < n) out[i + 1] = t[u >>> 16];
    }
  }
}

/**
 * NORMAL[i] = Φ⁻¹((i + 0.5) / 65536): the standard normal quantiles at bin midpoints
 * (|z| ≤ 4.4). Acklam's rational approximation (relative error < 1.2e-9, far below f32).
 */
export const NORMAL: Float32Array = (() => {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const inv = (p: number): number => {
    if (p < 0.02425) {
      const q = Math.sqrt(-2 * Math.log(p));
      return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    if (p > 1 - 0.02425) return -inv(1 - p);
    const q = p - 0.5, r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  };
  const t = new Float32Array(65536);
  for (let i = 0; i < 65536; i++) t[i] = inv((i + 0.5) / 65536);
  return t;
})();
