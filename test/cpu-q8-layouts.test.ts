// Q8_0 matrices on the CPU take the layout of the variant's kernel (r4s for the relaxed-SIMD
// variants, assembly/q8_0_r4s.ts), except one holding a −128 code, which r4s cannot hold: it
// takes r4 and the widening kernels (repack.ts REFUSED), and the logits stay those of the
// baseline variant, bit for bit.
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, openSync, readSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCpuBackend } from '../src/backends/cpu/cpu-backend.ts';
import type { CpuTensor } from '../src/backends/cpu/tensors.ts';
import { availableVariants } from '../src/backends/cpu/variants.ts';
import { matmulKernel } from '../src/backends/cpu/kernels.ts';
import { Engine } from '../src/engine/engine.ts';
import { evaluatePrompt } from '../src/engine/evaluate.ts';
import { loadCheckpoint } from '../src/model/checkpoint.ts';
import { readGguf } from '../src/model/gguf.ts';
import { ModelFile } from '../src/model/io.ts';
import { writeGguf } from '../src/synth/gguf-write.ts';
import { compareRows, golden } from './helpers/golden.ts';

const tmp = mkdtempSync(join(tmpdir(), 'oss-edge-q8-layouts-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const relaxed = availableVariants().filter((v) => matmulKernel('q8_0', 'fast', v).layout === 'r4s');

test.skipIf(!relaxed.length)('a Q8_0 matrix with a −128 code takes r4 under the relaxed variants; logits = baseline variant, bit for bit', async () => {
  const g = golden('tiny-b'), path = join(tmp, 'q8.gguf');
  const src = loadCheckpoint(g.dir);
  try { writeGguf(path, src, { dense: 'q8_0' }); } finally { src.close(); }
  // the last code of the first block of layer 0's attn_q: −128
  const f = new ModelFile(path), q = readGguf(f).tensors.find((t) => t.name === 'blk.0.attn_q.weight')!;
  f.close();
  expect(q.type).toBe(8); // GGML Q8_0
  const fd = openSync(path, 'r+'), b = new Uint8Array(1);
  readSync(fd, b, 0, 1, q.offset + 33);
  expect(b[0]).not.toBe(0x80);
  writeSync(fd, Uint8Array.of(0x80), 0, 1, q.offset + 33);
  closeSync(fd);

  const run = async (kernels: string) => {
    const m = await Engine.load(path, { precision: 'fast', kernels, threads: 2 }, createCpuBackend);
    try {
      const l0 = m.weights.layers[0], l1 = m.weights.layers[1];
      const layouts = [l0.q, l0.k, l1.q].map((t) => (t as CpuTensor).layout);
      return { layouts, r: await evaluatePrompt(m, g.ids, 3) };
    } finally { m.release(); }
  };
  const base = await run('baseline');
  expect(base.layouts).toEqual(['r4', 'r4', 'r4']);
  for (const v of relaxed) {
    const got = await run(v);
    expect(got.layouts).toEqual(['r4', 'r4s', 'r4s']);
    expect(compareRows(got.r.promptLogits, base.r.promptLogits, g.vocab).max).toBe(0);
    expect(compareRows(got.r.greedyLogits, base.r.greedyLogits, g.vocab).max).toBe(0);
    expect(got.r.greedyIds).toEqual(base.r.greedyIds);
  }
});
