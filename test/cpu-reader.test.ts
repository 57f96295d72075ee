// The CPU backend's reader thread (src/backends/cpu/arena-reader.ts: on by default from 64 MiB of
// matrices, forced on and off here): matrices it reads straight into the weight arenas give the
// logits of matrices read on the JS thread, bit for bit — GGUF, HF, and HF re-quantised to Q8_0
// (--dense-q8) on the reader — and a bad block read there fails the load with the same
// ModelLoadError, naming file and tensor.
import { afterAll, afterEach, expect, test } from 'bun:test';
import { join } from 'node:path';
import { createCpuBackend } from '../src/backends/cpu/cpu-backend.ts';
import type { EngineOptions } from '../src/backends/options.ts';
import { Engine } from '../src/engine/engine.ts';
import { loadCheckpoint } from '../src/model/checkpoint.ts';
import { ModelLoadError, isVector } from '../src/model/types.ts';
import { golden } from './helpers/golden.ts';
import { nanScaleCopy, tempDir } from './helpers/model-files.ts';

const { dir: tmp, cleanup } = tempDir('cpu-reader');
afterAll(cleanup);
afterEach(() => { delete process.env.OSS_EDGE_CPU_READER; });

/** Prompt and greedy logits of tiny-b from `path`, and how many matrices the JS thread filled itself. */
async function logits(path: string, reader: '0' | '1', o: Partial<EngineOptions>) {
  process.env.OSS_EDGE_CPU_READER = reader;
  const ckpt = loadCheckpoint(path), g = golden('tiny-b');
  let onJsThread = 0, matrices = 0;
  for (const r of ckpt.tensors.values()) {
    if (isVector(r)) continue;
    matrices++;
    const fill = r.fill.bind(r);
    r.fill = (dst, progress) => { onJsThread++; fill(dst, progress); };
  }
  const m = await Engine.fromCheckpoint(ckpt, { context: 64, threads: 2, ...o }, createCpuBackend);
  try {
    const s = m.newSession(), prompt = await s.eval(g.ids, 'all');
    return { prompt, onJsThread, matrices };
  } finally {
    m.release();
    ckpt.close();
  }
}

test('matrices read on the reader thread = read on the JS thread, bit for bit: GGUF, HF, HF --dense-q8; both precisions', async () => {
  const g = golden('tiny-b');
  for (const [path, o] of [[join(g.dir, 'model.gguf'), { precision: 'fast' }], [join(g.dir, 'model.gguf'), { precision: 'exact' }],
    [g.dir, { precision: 'fast' }], [g.dir, { precision: 'fast', denseQ8: true }]] as const) {
    const ahead = await logits(path, '1', o), inline = await logits(path, '0', o);
    expect(ahead.onJsThread, `${path} ${JSON.stringify(o)}`).toBe(0);
    // re-quantised matrices are read by row range (fill.rows), the rest by fill()
    if ('denseQ8' in o) expect(inline.onJsThread).toBeGreaterThan(0);
    else expect(inline.onJsThread).toBe(inline.matrices);
    expect(Buffer.from(ahead.prompt.buffer).equals(Buffer.from(inline.prompt.buffer)), `${path} ${JSON.stringify(o)}`).toBe(true);
  }
}, 120_000);

test('an MXFP4 scale byte 255 read on the reader thread fails the load with a ModelLoadError naming file, tensor and block', async () => {
  const bad = nanScaleCopy(join(golden('tiny-b').dir, 'model.gguf'), join(tmp, 'bad.gguf'), 'blk.1.ffn_down_exps.weight', 3);
  process.env.OSS_EDGE_CPU_READER = '1';
  const err = await Engine.load(bad, { context: 64 }, createCpuBackend).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ModelLoadError);
  expect((err as ModelLoadError).file).toBe(bad);
  expect((err as ModelLoadError).tensor).toContain('blk.1.ffn_down_exps.weight');
  expect((err as ModelLoadError).problem).toMatch(/block 3 has scale byte 255/);
}, 60_000);
