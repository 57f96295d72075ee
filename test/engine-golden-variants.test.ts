// The goldens (engine-golden.test.ts, fast precision: the only one whose kernels differ between
// variants) under every CPU kernel variant this runtime compiles: each must hold the fast tier
// against the exact reference and llama.cpp, and — the integer sums being exact and the float
// steps shared — give logits bit-identical to the baseline variant's, batched prompt and
// token-by-token greedy steps alike.
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { evaluatePrompt, type Evaluation } from '../src/engine/evaluate.ts';
import { createCpuBackend } from '../src/backends/cpu/cpu-backend.ts';
import { availableVariants } from '../src/backends/cpu/variants.ts';
import { Engine } from '../src/engine/engine.ts';
import { compareRows, expectFastTier, golden } from './helpers/golden.ts';

async function run(name: string, kernels: string, threads: number): Promise<Evaluation & { used: unknown }> {
  const g = golden(name);
  const m = await Engine.load(join(g.dir, 'model.gguf'), { context: 128, precision: 'fast', kernels, threads }, createCpuBackend);
  try {
    return { ...(await evaluatePrompt(m, g.ids, g.greedy.length)), used: m.backend.describe().kernels };
  } finally {
    m.release();
  }
}

for (const name of ['tiny-a', 'tiny-b']) {
  describe(`golden ${name} under each kernel variant`, () => {
    const g = golden(name);
    test('fast tier held; logits identical to the baseline variant', async () => {
      const base = await run(name, 'baseline', 2);
      for (const v of availableVariants()) {
        const r = await run(name, v, v.length % 2 ? 1 : 2); // one and two threads among the variants
        expect(r.used).toBe(v);
        expect(r.greedyIds).toEqual(g.greedy);
        expectFastTier(r, g);
        expect(compareRows(r.promptLogits, base.promptLogits, g.vocab).max).toBe(0);
        expect(compareRows(r.greedyLogits, base.greedyLogits, g.vocab).max).toBe(0);
      }
    });
  });
}
