// Every WGSL kernel against its scalar twin on random data (test/helpers/webgpu-kernels.ts runs
// them under Deno on the machine's WebGPU adapter, lavapipe in CI): all five weight formats
// incl. ragged dense rows, all 16 FP4 codes and E8M0 0…254, token tiles, both lane counts,
// tensors split over many buffers, embed, RMSNorm, RoPE, add, attention (sinks, GQA, window,
// ring wrap, > 256 keys, f16 K/V with and without shader-f16), the MoE block (ties included), and
// the weight upload (the GPU repack writes the words the host's packPart writes, bit for bit).
import { describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DENO, ROOT, gpuTests } from './helpers/webgpu.ts';
import type { Check } from './helpers/webgpu-kernels.ts';

const run = gpuTests('WebGPU kernels');

describe.skipIf(!run)('WebGPU kernels vs scalar twins', () => {
  const r = run ? spawnSync(DENO, ['run', '-A', '--quiet', join(ROOT, 'test/helpers/webgpu-kernels.ts')], { cwd: ROOT, encoding: 'utf8', timeout: 170_000 }) : null;
  const lines = (r?.stdout ?? '').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const checks = lines.filter((l): l is Check => 'name' in l);

  test('the harness ran to the end on a WebGPU adapter', () => {
    expect(r?.stderr ?? '').toBe('');
    expect(r?.status).toBe(0);
    expect(lines[0]?.adapter).toBeString();
    expect(checks.length).toBeGreaterThanOrEqual(120);
  });

  for (const c of checks) {
    test(c.name, () => {
      // worst = max |gpu − twin| / tolerance (tolerances in the harness: 1e-6·Σ|terms| for products)
      expect(c.worst).toBeLessThanOrEqual(1);
      expect(c.pass).toBe(true);
    });
  }
});
