// Sessions: rewinding within the sliding rings' slack recomputes exactly what a fresh run computes;
// stepping back further is refused (the caller starts over).
import { expect, test } from 'bun:test';
import { join } from 'node:path';
import { REWIND_SLACK } from '../src/backends/backend.ts';
import { createCpuBackend } from '../src/backends/cpu/cpu-backend.ts';
import { Engine } from '../src/engine/engine.ts';
import { compareRows, golden } from './helpers/golden.ts';

test('rewind after the sliding ring has wrapped: same logits as an uninterrupted run', async () => {
  const g = golden('tiny-a'); // sliding window 8
  const m = await Engine.load(join(g.dir, 'model.gguf'), { precision: 'exact', threads: 1, maxBatch: 16, context: 2048 }, createCpuBackend);
  try {
    const n = 8 + REWIND_SLACK + 200; // longer than the ring: early positions are overwritten
    const ids = Array.from({ length: n }, (_, i) => g.ids[i % g.ids.length]);
    const s = m.newSession();
    const all = await s.eval(ids, 'all');
    const back = n - 100;
    expect(s.rewind(back)).toBe(true);
    const again = await s.eval(ids.slice(back), 'all');
    expect(compareRows(again, all.subarray(back * g.vocab), g.vocab).max).toBeLessThanOrEqual(1e-5);
    expect(s.rewind(n - REWIND_SLACK - 8)).toBe(false); // its window's keys are gone
    expect(s.position).toBe(n);
    expect(s.rewind(0)).toBe(true);
  } finally {
    m.release();
  }
});

test('sessions evaluated concurrently do not mix (the shared activation state is taken in turn)', async () => {
  const g = golden('tiny-b');
  // batches of 32 rows unembedded 16 at a time: an await between the two halves of one batch
  const m = await Engine.load(join(g.dir, 'model.gguf'), { precision: 'exact', threads: 1, maxBatch: 32, context: 128 }, createCpuBackend);
  try {
    const a = g.ids.slice(0, 20), b = g.ids.slice(20, 45);
    const alone = [await m.newSession().eval(a, 'all'), await m.newSession().eval(b, 'all')];
    const together = await Promise.all([m.newSession().eval(a, 'all'), m.newSession().eval(b, 'all')]);
    expect(compareRows(together[0], alone[0], g.vocab).max).toBe(0);
    expect(compareRows(together[1], alone[1], g.vocab).max).toBe(0);
  } finally {
    m.release();
  }
});
