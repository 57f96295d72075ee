// The golden tests of the engine on the WebGPU backend (lavapipe in CI): `eval --backend webgpu`
// under Deno (in-process WebGPU) and under Bun (the Deno child), from both file formats.
//   exact  max |d| ≤ 1e-3 vs ref/ref_hf_* on every row, same greedy ids (all f32 on the GPU)
//   fast   the f16 K/V cache: mean |d| ≤ 0.05 and argmax ≥ 95 % vs the references, same greedy ids
// plus invariants across the backend's own choices (batch size, buffer splits, lanes, f16 path,
// where the weights are repacked at load).
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEval, TIERS, type EvalOut } from '../bench/golden-check.ts';
import { compareRows, golden } from './helpers/golden.ts';
import { DENO, ROOT, gpuTests } from './helpers/webgpu.ts';

const run = gpuTests('WebGPU golden tests');
// Each eval is a fresh process compiling its pipelines on a software rasteriser: ~10–25 s on a
// 2-core machine. The per-test limit only stops a hang, far above any loaded-machine run.
const HANG = 600_000;
const CLI = join(ROOT, 'src', 'cli.ts');
const tmp = mkdtempSync(join(tmpdir(), 'oss-edge-webgpu-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** `eval` of a golden folder in a fresh process; `runtime` bun goes through the Deno child. */
function evalGolden(name: string, file: string, flags: string[], o: { runtime?: 'deno' | 'bun'; env?: Record<string, string> } = {}): EvalOut {
  const g = golden(name);
  const cli = o.runtime === 'bun' ? [process.execPath, CLI] : [DENO, 'run', '-A', '--quiet', CLI];
  return runEval(cli, join(g.dir, file), join(g.dir, 'prompt.json'), g.greedy.length, join(tmp, String(n++)), flags, { cwd: ROOT, env: o.env });
}
let n = 0;

describe.skipIf(!run)('golden on WebGPU', () => {
  for (const name of ['tiny-a', 'tiny-b']) {
    const g = golden(name);
    for (const file of ['model.safetensors', 'model.gguf']) {
      test(`${name} ${file}, exact (Deno): max |d| ≤ 1e-3 vs the exact reference on every row, same greedy ids`, () => {
        const r = evalGolden(name, file, ['--backend', 'webgpu', '--precision', 'exact']);
        expect(r.greedyIds).toEqual(g.greedy);
        expect(compareRows(r.promptLogits, g.refPrompt, g.vocab).max).toBeLessThanOrEqual(TIERS.exact.max);
        expect(compareRows(r.greedyLogits, g.refForced, g.vocab).max).toBeLessThanOrEqual(TIERS.exact.max);
      }, HANG);
    }
    test(`${name} model.gguf, fast (f16 K/V): mean |d| ≤ 0.05, argmax ≥ 95 %, same greedy ids`, () => {
      const r = evalGolden(name, 'model.gguf', ['--backend', 'webgpu', '--precision', 'fast']);
      expect(r.greedyIds).toEqual(g.greedy);
      for (const [mine, ref] of [[r.promptLogits, g.refPrompt], [r.greedyLogits, g.refForced], [r.promptLogits, g.llamaPrompt], [r.greedyLogits, g.llamaGreedy]] as const) {
        const d = compareRows(mine, ref, g.vocab);
        expect(d.mean).toBeLessThanOrEqual(TIERS.fast.mean);
        expect(d.argmaxAgree).toBeGreaterThanOrEqual(TIERS.fast.argmaxAgree);
      }
    }, HANG);
  }

  test('tiny-a under Bun (through the Deno child) = under Deno, bit for bit', () => {
    const viaDeno = evalGolden('tiny-a', 'model.safetensors', ['--backend', 'webgpu']);
    const viaBun = evalGolden('tiny-a', 'model.safetensors', ['--backend', 'webgpu'], { runtime: 'bun' });
    expect(compareRows(viaBun.promptLogits, viaDeno.promptLogits, 512).max).toBe(0);
    expect(compareRows(viaBun.greedyLogits, viaDeno.greedyLogits, 512).max).toBe(0);
    expect(viaBun.greedyIds).toEqual(golden('tiny-a').greedy);
  }, HANG);

  test('tiny-b: batches of 7 (≤ 1e-4), weights in 64 KiB buffers (identical), 16 lanes per row (≤ 1e-4)', () => {
    const g = golden('tiny-b');
    const whole = evalGolden('tiny-b', 'model.gguf', ['--backend', 'webgpu']);
    const ub7 = evalGolden('tiny-b', 'model.gguf', ['--backend', 'webgpu', '--batch', '7']);
    const split = evalGolden('tiny-b', 'model.gguf', ['--backend', 'webgpu', '--arena-bytes', '65536']);
    const lanes = evalGolden('tiny-b', 'model.gguf', ['--backend', 'webgpu'], { env: { OSS_EDGE_WEBGPU_LANES: '16' } });
    expect(compareRows(ub7.promptLogits, whole.promptLogits, g.vocab).max).toBeLessThanOrEqual(1e-4);
    expect(compareRows(split.promptLogits, whole.promptLogits, g.vocab).max).toBe(0);
    expect(compareRows(lanes.promptLogits, whole.promptLogits, g.vocab).max).toBeLessThanOrEqual(1e-4);
    for (const r of [ub7, split, lanes]) expect(r.greedyIds).toEqual(g.greedy);
  }, HANG);

  test('weights repacked on the GPU (the default) = on the CPU (layout.ts packPart, the old way): identical logits', () => {
    for (const [name, file] of [['tiny-a', 'model.safetensors'], ['tiny-b', 'model.gguf']] as const) {
      const g = golden(name);
      const gpu = evalGolden(name, file, ['--backend', 'webgpu', '--arena-bytes', '65536'], { env: { OSS_EDGE_WEBGPU_REPACK: 'gpu', OSS_EDGE_WEBGPU_STAGING_MB: '0.01' } });
      const host = evalGolden(name, file, ['--backend', 'webgpu', '--arena-bytes', '65536'], { env: { OSS_EDGE_WEBGPU_REPACK: 'host' } });
      expect(compareRows(gpu.promptLogits, host.promptLogits, g.vocab).max).toBe(0);
      expect(compareRows(gpu.greedyLogits, host.greedyLogits, g.vocab).max).toBe(0);
      expect(gpu.greedyIds).toEqual(g.greedy);
    }
  }, 2 * HANG);

  test('fast tier without shader-f16 (K/V packed with pack2x16float) = with it', () => {
    const g = golden('tiny-b');
    const f16 = evalGolden('tiny-b', 'model.gguf', ['--backend', 'webgpu', '--precision', 'fast']);
    const plain = evalGolden('tiny-b', 'model.gguf', ['--backend', 'webgpu', '--precision', 'fast'], { env: { OSS_EDGE_WEBGPU_F16: '0' } });
    expect(compareRows(plain.promptLogits, f16.promptLogits, g.vocab).max).toBeLessThanOrEqual(1e-5);
    expect(plain.greedyIds).toEqual(g.greedy);
  }, HANG);
});
