// The WebGPU weight upload's reader threads (src/backends/webgpu/prefetch.ts, on by default with
// ≥ 4 cores, forced on here): weights read ahead on them give the logits weights read on the JS
// thread give, bit for bit (GGUF, and HF with --dense-q8 re-quantised on a reader); a bad block
// read there fails the load naming the file and the tensor, as on the JS thread.
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { runEval } from '../bench/golden-check.ts';
import { compareRows, golden } from './helpers/golden.ts';
import { nanScaleCopy } from './helpers/model-files.ts';
import { DENO, ROOT, gpuTests } from './helpers/webgpu.ts';

const tmp = mkdtempSync(join(tmpdir(), 'oss-edge-webgpu-upload-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const CLI = join(ROOT, 'src', 'cli.ts');

describe.skipIf(!gpuTests('WebGPU upload'))('weights read ahead on reader threads', () => {
  let n = 0;
  const ev = (model: string, flags: string[], prefetch: '0' | '1') => runEval([DENO, 'run', '-A', '--quiet', CLI], model, join(golden('tiny-b').dir, 'prompt.json'), 4,
    join(tmp, String(n++)), ['--backend', 'webgpu', '--precision', 'exact', ...flags], { cwd: ROOT, env: { OSS_EDGE_WEBGPU_PREFETCH: prefetch } });

  test('= read on the JS thread, bit for bit: GGUF, and HF bf16 re-quantised (--dense-q8) on a reader', () => {
    const g = golden('tiny-b');
    for (const [model, flags] of [[join(g.dir, 'model.gguf'), []], [g.dir, ['--dense-q8']]] as const) {
      const ahead = ev(model, [...flags], '1'), inline = ev(model, [...flags], '0');
      expect(compareRows(ahead.promptLogits, inline.promptLogits, g.vocab).max).toBe(0);
      expect(compareRows(ahead.greedyLogits, inline.greedyLogits, g.vocab).max).toBe(0);
      expect(ahead.greedyIds).toEqual(inline.greedyIds);
      expect(ahead.greedyIds.length).toBe(4);
    }
  }, 240_000);

  test('an MXFP4 scale byte 255 read on a reader thread fails the load, naming file and tensor', () => {
    const g = golden('tiny-b'), bad = nanScaleCopy(join(g.dir, 'model.gguf'), join(tmp, 'bad.gguf'), 'blk.1.ffn_down_exps.weight', 3);
    const r = spawnSync(DENO, ['run', '-A', '--quiet', CLI, 'eval', '--model', bad, '--prompt', join(g.dir, 'prompt.json'), '--out', join(tmp, 'bad'), '--backend', 'webgpu'],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, OSS_EDGE_WEBGPU_PREFETCH: '1' } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(bad);
    expect(r.stderr).toContain('blk.1.ffn_down_exps.weight');
    expect(r.stderr).toMatch(/block 3 has scale byte 255/);
  }, 120_000);
});
