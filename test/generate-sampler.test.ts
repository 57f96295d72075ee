// The sampler (pure, seeded), stop strings and the sampling limit.
import { describe, expect, test } from 'bun:test';
import { argmax, logprobsOf, Sampler, samplingLimit, StopStrings } from '../src/generate/index.ts';
import { seededRandom } from '../src/generate/rng.ts';
import { sortedBestFirst, topIndices } from '../src/generate/top-k.ts';
import { o200kHarmony } from '../src/tokenizer/index.ts';

function row(n: number, seed: number): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from({ length: n }, () => (r() - 0.5) * 8);
}

describe('sampler', () => {
  test('temperature 0 is argmax, lowest id on ties', () => {
    const x = row(1000, 1);
    expect(new Sampler({ temperature: 0 }, 1000).sample(x).id).toBe(argmax(x));
    const tie = new Float32Array([1, 5, 5, 2]);
    expect(new Sampler({ temperature: 0 }, 4).sample(tie).id).toBe(1);
  });

  test('the same seed gives the same draws; another seed gives others', () => {
    const x = row(500, 2);
    const draw = (seed: number) => { const s = new Sampler({ seed, temperature: 1.5 }, 500); return Array.from({ length: 40 }, () => s.sample(x).id); };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  test('draws follow softmax(x / T)', () => {
    const x = new Float32Array([0, Math.log(3), -Infinity, 0]); // p = 1/5, 3/5, 0, 1/5
    const s = new Sampler({ seed: 3 }, 4);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 20000; i++) counts[s.sample(x).id]++;
    expect(counts[2]).toBe(0);
    expect(Math.abs(counts[1] / 20000 - 0.6)).toBeLessThan(0.02);
    expect(Math.abs(counts[0] / 20000 - 0.2)).toBeLessThan(0.02);
  });

  test('top_k, top_p and min_p keep only the best candidates', () => {
    const x = row(3000, 4);
    const best = topIndices(x, 5);
    const seen = (o: object) => { const s = new Sampler({ seed: 5, temperature: 2, ...o }, 3000); return new Set(Array.from({ length: 300 }, () => s.sample(x).id)); };
    for (const id of seen({ topK: 5 })) expect(Array.from(best)).toContain(id);
    expect([...seen({ topK: 1 })]).toEqual([best[0]]);
    expect([...seen({ topP: 1e-6 })]).toEqual([best[0]]);
    expect([...seen({ minP: 0.9999 })]).toEqual([best[0]]);
    expect(seen({ topP: 0.5 }).size).toBeGreaterThan(1);
  });

  test('top_p: the nucleus is the smallest best-first set holding p of the mass', () => {
    const x = new Float32Array(5000).fill(-20);
    x[10] = Math.log(0.5); x[20] = Math.log(0.3); x[30] = Math.log(0.2); // the rest is ~0
    const s = new Sampler({ seed: 9, topP: 0.75 }, 5000);
    const ids = new Set(Array.from({ length: 500 }, () => s.sample(x).id));
    expect([...ids].sort((a, b) => a - b)).toEqual([10, 20]);
  });

  test('logit_bias, presence and frequency penalties shift the logits', () => {
    const x = new Float32Array([5, 4, 0, 0]);
    expect(new Sampler({ temperature: 0, logitBias: new Map([[2, 100]]) }, 4).sample(x).id).toBe(2);
    expect(new Sampler({ temperature: 0, logitBias: new Map([[0, -100]]) }, 4).sample(x).id).toBe(1);
    const s = new Sampler({ temperature: 0, frequencyPenalty: 0.6 }, 4);
    expect([0, 1, 2, 3].map(() => s.sample(x).id)).toEqual([0, 0, 1, 0]); // 5 → 4.4 → 3.8 < 4
    const p = new Sampler({ temperature: 0, presencePenalty: 2 }, 4);
    expect([0, 1, 2].map(() => p.sample(x).id)).toEqual([0, 1, 0]); // 3 < 4; then 3 vs 2: 0
  });

  test('ids at or above the limit are never sampled', () => {
    const x = new Float32Array([0, 1, 2, 50]);
    expect(new Sampler({ temperature: 0 }, 3).sample(x).id).toBe(2);
    const s = new Sampler({ seed: 1 }, 3);
    for (let i = 0; i < 200; i++) expect(s.sample(x).id).toBeLessThan(3);
  });

  test('logprobs come from the softmax of the raw logits, top alternatives best first', () => {
    const x = row(800, 6);
    const s = new Sampler({ temperature: 0, logitBias: new Map([[3, 50]]), logprobs: 4 }, 800);
    const t = s.sample(x);
    expect(t.id).toBe(3);
    let z = 0;
    for (const v of x) z += Math.exp(v);
    expect(t.logprob!).toBeCloseTo(x[3] - Math.log(z), 5);
    expect(t.top!.map((a) => a.id)).toEqual(Array.from(topIndices(x, 4)));
    expect(t.top![0].logprob).toBeCloseTo(x[argmax(x)] - Math.log(z), 5);
    expect(logprobsOf(x, 0, 0).top).toEqual([]);
  });

  test('topIndices agrees with a full sort (ties: lowest index first)', () => {
    const x = Float32Array.from(row(2000, 7), (v) => Math.round(v * 4) / 4);
    const sorted = Array.from({ length: 2000 }, (_, i) => i).sort((a, b) => x[b] - x[a] || a - b);
    for (const k of [1, 7, 100, 600, 2000]) expect(Array.from(topIndices(x, k))).toEqual(sorted.slice(0, k));
  });

  test('the radix sort of a whole row = a comparator sort: signs, ±0, ±Infinity, subnormals, ties; NaN last', () => {
    const r = seededRandom(11);
    const special = [0, -0, Infinity, -Infinity, 1e-45, -1e-45, 3.4e38, -3.4e38, NaN];
    const big = Float32Array.from({ length: 70001 }, (_, i) => (i % 13 === 0 ? special[i % special.length] : Math.round((r() - 0.5) * 64) / 8));
    const expected = (x: Float32Array) => Array.from({ length: x.length }, (_, i) => i).sort((a, b) => {
      const va = Number.isNaN(x[a]) ? -Infinity : x[a], vb = Number.isNaN(x[b]) ? -Infinity : x[b];
      const nan = Number(Number.isNaN(x[a])) - Number(Number.isNaN(x[b])); // NaN after -Infinity
      return vb - va || (va === vb && va === -Infinity ? nan : 0) || a - b;
    });
    expect(Array.from(sortedBestFirst(big))).toEqual(expected(big));
    // a view at an offset, shorter than the scratch the first call left behind
    const view = big.subarray(3, 3 + 4097);
    expect(Array.from(sortedBestFirst(view))).toEqual(expected(view));
    expect(Array.from(topIndices(view, 2000))).toEqual(expected(view).slice(0, 2000));
  });
});

describe('stop strings', () => {
  const run = (stops: string[], parts: string[]) => {
    const s = new StopStrings(stops);
    let out = '';
    for (const p of parts) { const r = s.push(p); out += r.text; if (r.stopped) return { out, stopped: true }; }
    return { out: out + s.flush(), stopped: false };
  };
  test('cuts before the first stop string, even when split across pieces', () => {
    expect(run(['END'], ['abc E', 'N', 'D more'])).toEqual({ out: 'abc ', stopped: true });
    expect(run(['\n\n', 'xy'], ['a\n', 'b', 'x', 'y'])).toEqual({ out: 'a\nb', stopped: true });
  });
  test('holds back only a possible start of a stop string, releases it at the end', () => {
    const s = new StopStrings(['STOP']);
    expect(s.push('hello ST')).toEqual({ text: 'hello ', stopped: false });
    expect(s.push('ART')).toEqual({ text: 'START', stopped: false });
    expect(run(['STOP'], ['a', 'ST'])).toEqual({ out: 'aST', stopped: false });
  });
});

test('sampling limit: o200k_harmony stops before the padding rows 200019 … 201087', () => {
  expect(samplingLimit(o200kHarmony(), 201088)).toBe(200019);
  expect(samplingLimit(o200kHarmony(), 1000)).toBe(1000);
});
