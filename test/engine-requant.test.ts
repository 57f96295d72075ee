// Dense Q8_0 at load (denseQ8): an HF bf16 checkpoint re-quantised while loading must compute
// what a test-side reference quantiser (helpers/q8-reference.ts, written from ggml, not from
// src/model/quantize.ts) says the Q8_0 weights are; and exactly what the same checkpoint converted
// to a Q8_0 GGUF by our writer computes (the two load paths share one quantiser, so that second
// check alone could not catch a fault in it).
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluatePrompt } from '../src/engine/evaluate.ts';
import { createCpuBackend } from '../src/backends/cpu/cpu-backend.ts';
import { Engine } from '../src/engine/engine.ts';
import { writeGguf } from '../src/synth/gguf-write.ts';
import { loadCheckpoint } from '../src/model/checkpoint.ts';
import type { Checkpoint } from '../src/model/types.ts';
import { compareRows, golden } from './helpers/golden.ts';
import { dequantAll, fillAll } from './helpers/model-files.ts';
import { q8Reference, q8Values } from './helpers/q8-reference.ts';
import { f32Bytes, memCheckpoint, record, rng, type MemTensor } from './helpers/webgpu-checkpoint.ts';
import { requantizeQ8, requantizesToQ8 } from '../src/backends/requant.ts';

const tmp = mkdtempSync(join(tmpdir(), 'oss-edge-requant-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * The checkpoint with every matrix denseQ8 re-quantises (float matrices, not biases, not the
 * router, rows of whole 32-blocks: llama.cpp's recipe keeps the router as stored) replaced by the f32 values the
 * reference Q8_0 blocks stand for; everything else as it is. Returns the names it replaced.
 */
function referenceQ8Checkpoint(src: Checkpoint): { ckpt: Checkpoint; requantised: string[] } {
  const tensors: MemTensor[] = [], requantised: string[] = [];
  for (const r of src.tensors.values()) {
    const float = r.format === 'bf16' || r.format === 'f16' || r.format === 'f32';
    if (float && r.shape.length >= 2 && !r.name.endsWith('_bias') && !r.name.endsWith('.router') && r.shape.at(-1)! % 32 === 0) {
      requantised.push(r.name);
      tensors.push({ name: r.name, shape: r.shape, format: 'f32', bytes: f32Bytes(q8Values(q8Reference(dequantAll(r)))) });
    } else {
      tensors.push({ name: r.name, shape: r.shape, format: r.format, bytes: fillAll(r) });
    }
  }
  return { ckpt: memCheckpoint(src.config, tensors), requantised };
}

test('denseQ8 on HF bf16 = the reference Q8_0 values (exact: ≤ 1e-4; fast: its tier) = a Q8_0 GGUF of the same weights (bit for bit); smaller in memory', async () => {
  const g = golden('tiny-b');
  const gguf = join(tmp, 'q8.gguf');
  const src = loadCheckpoint(g.dir);
  let ref: ReturnType<typeof referenceQ8Checkpoint>;
  try {
    writeGguf(gguf, src, { dense: 'q8_0' });
    ref = referenceQ8Checkpoint(src);
  } finally { src.close(); }
  // embed, unembed and q, k, v, o of each layer: what the recipe re-quantises here
  expect(ref.requantised.length).toBe(2 + 4 * src.config.numLayers);
  for (const precision of ['exact', 'fast'] as const) {
    const a = await Engine.load(g.dir, { precision, denseQ8: true, threads: 1 }, createCpuBackend);
    const b = await Engine.load(gguf, { precision, threads: 1 }, createCpuBackend);
    const plain = await Engine.load(g.dir, { precision, threads: 1 }, createCpuBackend);
    const want = await Engine.fromCheckpoint(ref.ckpt, { precision, threads: 1 }, createCpuBackend);
    try {
      const ra = await evaluatePrompt(a, g.ids, 4), rb = await evaluatePrompt(b, g.ids, 4), rw = await evaluatePrompt(want, g.ids, 4);
      const d = compareRows(ra.promptLogits, rw.promptLogits, g.vocab);
      if (precision === 'exact') { // f32 products of the Q8_0 values: only the summation order differs
        expect(d.max).toBeLessThanOrEqual(1e-4);
        expect(ra.greedyIds).toEqual(rw.greedyIds);
      } else { // the fast tier also rounds activations (f16 K/V, Q8 activations): its own bounds
        expect(d.mean).toBeLessThanOrEqual(0.05);
        expect(d.argmaxAgree).toBeGreaterThanOrEqual(0.95);
      }
      expect(compareRows(ra.promptLogits, rb.promptLogits, g.vocab).max).toBe(0);
      expect(ra.greedyIds).toEqual(rb.greedyIds);
      expect(a.backend.describe().weightBytes).toBeLessThan(plain.backend.describe().weightBytes);
    } finally {
      a.release(); b.release(); plain.release(); want.release();
    }
  }
});

test('requantizeQ8 over several staging chunks (rows past the first 8 MiB of source): every row lands at its own place = the reference quantiser', () => {
  // f32 rows of 1024 values are 4 KiB: the 8 MiB staging buffer holds 2048 of them, so these
  // 5 × 417 = 2085 rows take two chunks, the second one partial.
  const shape = [5, 417, 1024], cols = 1024, rows = 5 * 417, rbSrc = cols * 4, rbQ = (cols / 32) * 34;
  const rand = rng(7), values = new Float32Array(rows * cols);
  for (let i = 0; i < values.length; i++) values[i] = (rand() - 0.5) * 4;
  const bytes = f32Bytes(values);
  const rec = { ...record({ name: 'blk.0.attn_q', shape, format: 'f32', bytes }),
    fillRows(dst: Uint8Array, r0: number, r1: number) { dst.set(bytes.subarray(r0 * rbSrc, r1 * rbSrc)); } };
  expect(requantizesToQ8(rec, true)).toBe(true);
  const ptr = 34, dst = new Uint8Array(ptr + rows * rbQ + 34).fill(0xaa);
  let read = 0;
  requantizeQ8(rec, dst, ptr, (n) => { read += n; });
  expect(read).toBe(bytes.length);
  const want = q8Reference(values), got = dst.subarray(ptr, ptr + rows * rbQ);
  const at = got.findIndex((b, i) => b !== want[i]);
  if (at >= 0) throw new Error(`byte ${at} (row ${Math.floor(at / rbQ)}) is ${got[at]}, the reference quantiser gives ${want[at]}`);
  // nothing written outside [ptr, ptr + rows × row bytes)
  expect([...dst.subarray(0, ptr), ...dst.subarray(ptr + rows * rbQ)].every((b) => b === 0xaa)).toBe(true);
});
