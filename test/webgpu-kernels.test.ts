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

// Every check the harness makes, counted from its tables: matmul 2 lane counts × (3 dense formats ×
// 10 shapes + 2 block formats × 5 shapes) = 80; E8M0 ranges 3; split matrices 2; embed 5;
// rmsnorm 4 + rope 3 + add 1; attention 30 chunks over 6 cases + the spec §4.5.4 example = 31;
// MoE 7; the upload's GPU repack against the host's, 11 tensors × 2 part layouts = 22. A check
// that stops running (a loop cut short, a crash mid-way) fails the count.
const EXPECTED_CHECKS = 80 + 3 + 2 + 5 + 8 + 31 + 7 + 22;

describe.skipIf(!run)('WebGPU kernels vs scalar twins', () => {
  // At collection (one test per check needs the list): no test limit applies here, so the budget
  // below only stops a hung harness; a cold lavapipe run on a busy machine takes minutes.
  const r = run ? spawnSync(DENO, ['run', '-A', '--quiet', join(ROOT, 'test/helpers/webgpu-kernels.ts')], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 }) : null;
  const lines = (r?.stdout ?? '').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const checks = lines.filter((l): l is Check => 'name' in l);

  test(`the harness ran to the end on a WebGPU adapter: exactly ${EXPECTED_CHECKS} distinct checks`, () => {
    expect(r?.error).toBeUndefined();
    expect(r?.stderr ?? '').toBe('');
    expect(r?.status).toBe(0);
    expect(lines[0]?.adapter).toBeString();
    expect(checks.length).toBe(EXPECTED_CHECKS);
    expect(new Set(checks.map((c) => c.name)).size).toBe(EXPECTED_CHECKS);
    expect(checks.filter((c) => !c.pass).map((c) => c.name)).toEqual([]);
  });

  for (const c of checks) {
    test(c.name, () => {
      // worst = max |gpu − twin| / tolerance (tolerances in the harness: 1e-6·Σ|terms| for products)
      expect(c.worst).toBeLessThanOrEqual(1);
      expect(c.pass).toBe(true);
    });
  }
});
