// The engine against ../shared/golden: exact f32 references (ref/ref_hf_*: OpenAI/HF semantics,
// float64) and llama.cpp's own outputs, from both file formats, both precisions.
import { afterAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { evaluatePrompt, type Evaluation } from '../src/engine/evaluate.ts';
import { createCpuBackend } from '../src/backends/cpu/cpu-backend.ts';
import type { EngineOptions } from '../src/backends/options.ts';
import { Engine } from '../src/engine/engine.ts';
import { compareRows, expectFastTier, golden } from './helpers/golden.ts';

const FILES = ['model.safetensors', 'model.gguf'] as const;
const models: Engine[] = [];
afterAll(() => models.forEach((m) => m.release()));

async function run(name: string, file: string, o: Partial<EngineOptions>, tokenByToken = false): Promise<Evaluation> {
  const g = golden(name);
  const m = await Engine.load(join(g.dir, file), { context: 128, ...o }, createCpuBackend);
  models.push(m);
  const r = await evaluatePrompt(m, g.ids, g.greedy.length, tokenByToken);
  m.release();
  return r;
}

for (const name of ['tiny-a', 'tiny-b']) {
  describe(`golden ${name}`, () => {
    const g = golden(name);
    for (const file of FILES) {
      test(`${file}, exact: max |d| ≤ 1e-3 vs the exact reference on every row, same greedy ids`, async () => {
        const r = await run(name, file, { precision: 'exact', threads: 2 });
        expect(r.greedyIds).toEqual(g.greedy);
        const p = compareRows(r.promptLogits, g.refPrompt, g.vocab);
        const f = compareRows(r.greedyLogits, g.refForced, g.vocab);
        expect(p.max).toBeLessThanOrEqual(1e-3);
        expect(f.max).toBeLessThanOrEqual(1e-3);
      });

      test(`${file}, fast: mean |d| ≤ 0.05, argmax ≥ 95 %, same greedy ids`, async () => {
        const r = await run(name, file, { precision: 'fast' });
        expect(r.greedyIds).toEqual(g.greedy);
        expectFastTier(r, g);
      });
    }

    test('weights spread over ≥ 3 small arenas give identical logits', async () => {
      const a = await run(name, 'model.gguf', { precision: 'exact' });
      const b = await run(name, 'model.gguf', { precision: 'exact', arenaBytes: 1 << 20 });
      expect(models.at(-1)!.backend.describe().arenas).toBeGreaterThanOrEqual(3); // weight arenas
      expect(compareRows(a.promptLogits, b.promptLogits, g.vocab).max).toBe(0);
      expect(b.greedyIds).toEqual(a.greedyIds);
    });

    test('batch vs token-by-token prompt evaluation (exact ≤ 1e-4), ubatches of 7, threads 1 vs 2', async () => {
      const whole = await run(name, 'model.safetensors', { precision: 'exact', threads: 1 });
      const tbt = await run(name, 'model.safetensors', { precision: 'exact', threads: 2 }, true);
      const ub7 = await run(name, 'model.safetensors', { precision: 'exact', maxBatch: 7, threads: 2 });
      expect(compareRows(whole.promptLogits, tbt.promptLogits, g.vocab).max).toBeLessThanOrEqual(1e-4);
      expect(compareRows(whole.promptLogits, ub7.promptLogits, g.vocab).max).toBeLessThanOrEqual(1e-4);
      expect(tbt.greedyIds).toEqual(whole.greedyIds);
    });
  });
}
