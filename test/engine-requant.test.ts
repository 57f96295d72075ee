// Dense Q8_0 at load (denseQ8): an HF bf16 checkpoint re-quantised while loading must compute
// exactly what the same checkpoint converted to a Q8_0 GGUF by our writer computes.
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluatePrompt } from '../src/engine/evaluate.ts';
import { createCpuBackend } from '../src/backends/cpu/cpu-backend.ts';
import { Engine } from '../src/engine/engine.ts';
import { writeGguf } from '../src/synth/gguf-write.ts';
import { loadCheckpoint } from '../src/model/checkpoint.ts';
import { compareRows, golden } from './helpers/golden.ts';

const tmp = mkdtempSync(join(tmpdir(), 'oss-edge-requant-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test('denseQ8 on HF bf16 = a Q8_0 GGUF of the same weights, bit for bit; smaller in memory', async () => {
  const g = golden('tiny-b');
  const gguf = join(tmp, 'q8.gguf');
  const src = loadCheckpoint(g.dir);
  try { writeGguf(gguf, src, { dense: 'q8_0' }); } finally { src.close(); }
  for (const precision of ['exact', 'fast'] as const) {
    const a = await Engine.load(g.dir, { precision, denseQ8: true, threads: 1 }, createCpuBackend);
    const b = await Engine.load(gguf, { precision, threads: 1 }, createCpuBackend);
    const plain = await Engine.load(g.dir, { precision, threads: 1 }, createCpuBackend);
    try {
      const ra = await evaluatePrompt(a, g.ids, 4), rb = await evaluatePrompt(b, g.ids, 4);
      expect(compareRows(ra.promptLogits, rb.promptLogits, g.vocab).max).toBe(0);
      expect(ra.greedyIds).toEqual(rb.greedyIds);
      expect(a.backend.describe().weightBytes).toBeLessThan(plain.backend.describe().weightBytes);
    } finally {
      a.release(); b.release(); plain.release();
    }
  }
});
