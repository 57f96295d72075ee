// Engine.step: several sessions in one forward pass (continuous batching) compute what each would
// alone — the same greedy continuations, logits within the batch tolerance — and a prompt chunk
// can ride along with other sessions' decode tokens.
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { createCpuBackend } from '../src/backends/cpu/cpu-backend.ts';
import type { Precision } from '../src/backends/options.ts';
import { argmax } from '../src/backends/argmax.ts';
import { Engine, type Session } from '../src/engine/engine.ts';
import { golden } from './helpers/golden.ts';

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

for (const precision of ['exact', 'fast'] as Precision[]) {
  describe(`step, ${precision}`, () => {
    test('4 sessions decoding together = each alone; a prompt chunk beside them', async () => {
      const g = golden('tiny-a');
      const m = await Engine.load(join(g.dir, 'model.gguf'), { precision, threads: 2, maxBatch: 32, context: 128 }, createCpuBackend);
      try {
        const prompts = [g.ids.slice(0, 9), g.ids.slice(3, 20), g.ids.slice(10, 15), g.ids.slice(0, 30)];
        // alone: each prompt, then 6 greedy tokens, one eval at a time
        const alone = await Promise.all(prompts.map(async (p) => {
          const s = m.newSession();
          let row = await s.eval(p, 'last');
          const ids: number[] = [], rows: Float32Array[] = [];
          for (let i = 0; i < 6; i++) { ids.push(argmax(row)); row = await s.eval([ids[i]], 'last'); rows.push(row); }
          return { ids, rows };
        }));
        // together: the first three prefilled alone, the fourth's prompt prefilled in chunks beside
        // their decode steps; every decode step of all four in one pass
        const sessions: Session[] = prompts.map(() => m.newSession());
        const next: number[] = [];
        for (let i = 0; i < 3; i++) next[i] = argmax(await sessions[i].eval(prompts[i], 'last'));
        const p4 = prompts[3];
        const first = await m.step([{ session: sessions[0], ids: [next[0]] }, { session: sessions[3], ids: p4.slice(0, 20) },
          { session: sessions[1], ids: [next[1]] }, { session: sessions[2], ids: [next[2]] }]);
        expect(first.length).toBe(4);
        const got = prompts.map(() => ({ ids: [] as number[], rows: [] as Float32Array[] }));
        for (const i of [0, 1, 2]) got[i].ids.push(next[i]);
        [0, 2, 3].forEach((j, k) => { const i = [0, 1, 2][k]; got[i].rows.push(first[j]); next[i] = argmax(first[j]); });
        const rest = await m.step([{ session: sessions[3], ids: p4.slice(20) }]);
        next[3] = argmax(rest[0]);
        for (let step = 0; step < 6; step++) {
          const todo = [0, 1, 2, 3].filter((i) => got[i].ids.length < 6);
          for (const i of todo) got[i].ids.push(next[i]);
          const rows = await m.step(todo.map((i) => ({ session: sessions[i], ids: [next[i]] })));
          todo.forEach((i, k) => { got[i].rows.push(rows[k]); next[i] = argmax(rows[k]); });
        }
        for (let i = 0; i < 4; i++) {
          expect(got[i].ids).toEqual(alone[i].ids);
          expect(sessions[i].position).toBe(prompts[i].length + 6);
          got[i].rows.forEach((r, k) => expect(maxDiff(r, alone[i].rows[k])).toBeLessThanOrEqual(precision === 'exact' ? 1e-4 : 0.05));
        }
      } finally {
        m.release();
      }
    });

    test('rows read into the caller\'s array = fresh rows, bit for bit, each a view of its own part of it', async () => {
      const g = golden('tiny-a');
      const m = await Engine.load(join(g.dir, 'model.gguf'), { precision, threads: 2, maxBatch: 32, context: 128 }, createCpuBackend);
      try {
        const V = m.config.vocabSize, into = new Float32Array(3 * V).fill(NaN);
        const run = async (arr?: Float32Array) => {
          const ss = [m.newSession(), m.newSession(), m.newSession()];
          for (const [i, s] of ss.entries()) await s.eval(g.ids.slice(i, i + 5), 'last');
          // two one-token steps and a three-token chunk: both ways the engine reads rows back
          const out = [];
          for (let k = 0; k < 2; k++) {
            const rows = await m.step([{ session: ss[0], ids: [g.ids[k]] }, { session: ss[1], ids: g.ids.slice(7, 10 + k) }, { session: ss[2], ids: [g.ids[k + 1]] }], arr);
            out.push(...rows.map((r) => ({ copy: Float32Array.from(r), view: r })));
          }
          return out;
        };
        const fresh = await run(), viewed = await run(into);
        for (const [i, r] of viewed.entries()) {
          expect(r.view.buffer).toBe(into.buffer);
          expect(r.copy).toEqual(fresh[i].copy);
        }
        const last = viewed.slice(3).map((r) => r.view.byteOffset).sort((a, b) => a - b);
        expect(last).toEqual([0, 4 * V, 8 * V]);
        expect(() => m.step([{ session: m.newSession(), ids: [1] }, { session: m.newSession(), ids: [2] }], new Float32Array(V))).toThrow(RangeError);
      } finally {
        m.release();
      }
    });
  });
}

test('step refuses more than maxBatch tokens, a session twice, a bad id, a step past the context — evaluating nothing', async () => {
  const g = golden('tiny-a');
  const m = await Engine.load(join(g.dir, 'model.gguf'), { precision: 'exact', threads: 1, maxBatch: 8, context: 16 }, createCpuBackend);
  try {
    const a = m.newSession(), b = m.newSession(12);
    expect(() => m.step([{ session: a, ids: g.ids.slice(0, 5) }, { session: b, ids: g.ids.slice(0, 4) }])).toThrow(/exceeds the batch of 8/);
    expect(() => m.step([{ session: a, ids: [1] }, { session: a, ids: [2] }])).toThrow(/twice/);
    expect(() => m.step([{ session: a, ids: [1] }, { session: b, ids: [-1] }])).toThrow(/outside the vocabulary/);
    await b.eval(g.ids.slice(0, 8), 'last');
    expect(() => m.step([{ session: a, ids: [1] }, { session: b, ids: g.ids.slice(0, 5) }])).toThrow(/exceed the context of 12/);
    expect([a.position, b.position]).toEqual([0, 8]);
  } finally {
    m.release();
  }
});
