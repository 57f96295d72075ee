// MoE routing (spec §4.6): top-k by value, ties to the lower expert id, softmax over the k chosen.
import { expect, test } from 'bun:test';
import { Routing } from '../src/backends/cpu/route.ts';

test('top-4 of 8, softmax over the selected four only, grouped by expert', () => {
  const r = new Routing(8, 4, 2);
  const logits = Float32Array.of(
    0.5, 3, -1, 2, 2, 7, 0, 1, //   token 0: 5 (7), 1 (3), 3 and 4 tie at 2 → 3 first, then 4
    1, 1, 1, 1, 1, 1, 1, 1, //      token 1: all equal → experts 0..3, weights 1/4
  );
  r.route(logits, 2);
  const sel = [7, 3, 2, 2];
  const den = sel.reduce((s, v) => s + Math.exp(v - 7), 0);
  const weightOf = (e: number, tok: number) => {
    for (let i = 0; i < r.counts[e]; i++) if (r.toks[e * 2 + i] === tok) return r.wts[e * 2 + i];
    return null;
  };
  expect(weightOf(5, 0)).toBeCloseTo(Math.exp(0) / den, 6);
  expect(weightOf(1, 0)).toBeCloseTo(Math.exp(-4) / den, 6);
  expect(weightOf(3, 0)).toBeCloseTo(Math.exp(-5) / den, 6);
  expect(weightOf(4, 0)).toBeCloseTo(Math.exp(-5) / den, 6);
  expect(weightOf(0, 0)).toBeNull(); // 0.5 is not in the top four
  for (const e of [0, 1, 2, 3]) expect(weightOf(e, 1)).toBeCloseTo(0.25, 6);
  expect([...r.counts]).toEqual([1, 2, 1, 2, 1, 1, 0, 0]);
});
