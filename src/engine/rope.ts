// RoPE frequencies with YaRN (spec §4.5.2–§4.5.3), OpenAI/HF semantics: the correction range is
// used as real numbers unless the config says `truncate: true`; mscale multiplies cos AND sin.
import type { ModelConfig } from '../model/types.ts';

export interface RopeParams { invFreq: Float64Array; mscale: number }

export function ropeParams(c: ModelConfig): RopeParams {
  const d = c.headDim, half = d / 2, base = c.ropeTheta;
  const invFreq = new Float64Array(half);
  const r = c.rope;
  if (!r || r.factor <= 1) {
    for (let i = 0; i < half; i++) invFreq[i] = 1 / base ** ((2 * i) / d);
    return { invFreq, mscale: 1 };
  }
  const corr = (beta: number) => (half * Math.log(r.originalMaxPositions / (beta * 2 * Math.PI))) / Math.log(base);
  let low = corr(r.betaFast), high = corr(r.betaSlow);
  if (r.truncate) { low = Math.floor(low); high = Math.ceil(high); }
  low = Math.max(low, 0); high = Math.min(high, half - 1);
  if (low === high) high += 0.001; // HF linear_ramp_factor guards the division
  for (let i = 0; i < half; i++) {
    const freq = base ** ((2 * i) / d);
    const ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
    const w = 1 - ramp; // extrapolation weight
    invFreq[i] = (1 / (r.factor * freq)) * (1 - w) + (1 / freq) * w;
  }
  return { invFreq, mscale: 0.1 * Math.log(r.factor) + 1 };
}

/** Fills cs[b][0..half) = mscale·cos(p·f), cs[b][half..d) = mscale·sin(p·f) for p = pos0 + b. */
export function ropeTable(p: RopeParams, pos0: number, B: number, cs: Float32Array): void {
  const half = p.invFreq.length, d = 2 * half;
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < half; i++) {
      const a = (pos0 + b) * p.invFreq[i];
      cs[b * d + i] = p.mscale * Math.cos(a);
      cs[b * d + half + i] = p.mscale * Math.sin(a);
    }
  }
}
