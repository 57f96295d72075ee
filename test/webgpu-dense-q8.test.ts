// --dense-q8 on WebGPU: an HF bf16 checkpoint re-quantised to Q8_0 while loading (src/backends/
// requant.ts, the CPU's quantiser) computes exactly what the same weights written as a Q8_0 GGUF
// by our writer compute on the GPU, in both precisions — and not what the bf16 weights compute
// (the flag is not ignored).
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEval } from '../bench/golden-check.ts';
import { loadCheckpoint } from '../src/model/checkpoint.ts';
import { writeGguf } from '../src/synth/gguf-write.ts';
import { compareRows, golden } from './helpers/golden.ts';
import { DENO, ROOT, gpuTests } from './helpers/webgpu.ts';

const run = gpuTests('WebGPU --dense-q8');
const tmp = mkdtempSync(join(tmpdir(), 'oss-edge-webgpu-q8-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!run)('--dense-q8 on WebGPU', () => {
  test('HF bf16 with --dense-q8 = a Q8_0 GGUF of the same weights, bit for bit (exact and fast); ≠ the bf16 weights', () => {
    const g = golden('tiny-b'), gguf = join(tmp, 'q8.gguf');
    const src = loadCheckpoint(g.dir);
    try { writeGguf(gguf, src, { dense: 'q8_0' }); } finally { src.close(); }
    let n = 0;
    const ev = (model: string, flags: string[]) => runEval([DENO, 'run', '-A', '--quiet', join(ROOT, 'src', 'cli.ts')], model, join(g.dir, 'prompt.json'), 4,
      join(tmp, String(n++)), ['--backend', 'webgpu', ...flags], { cwd: ROOT });
    for (const precision of ['exact', 'fast']) {
      const requant = ev(g.dir, ['--precision', precision, '--dense-q8']), q8 = ev(gguf, ['--precision', precision]);
      expect(compareRows(requant.promptLogits, q8.promptLogits, g.vocab).max).toBe(0);
      expect(compareRows(requant.greedyLogits, q8.greedyLogits, g.vocab).max).toBe(0);
      expect(requant.greedyIds).toEqual(q8.greedyIds);
      if (precision === 'exact') {
        const bf16 = ev(g.dir, ['--precision', precision]);
        expect(compareRows(requant.promptLogits, bf16.promptLogits, g.vocab).max).toBeGreaterThan(0);
      }
    }
  }, 240_000);
});
