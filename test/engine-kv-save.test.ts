// A session's K/V saved aside and restored into another session continues exactly where the first
// would have (the prompt cache's engine half), on the CPU and on WebGPU through the Deno child:
// full-attention layers and a sliding ring that has wrapped.
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import type { BackendChoice } from '../src/backends/options.ts';
import { openEngine } from '../src/boot/open-model.ts';
import { golden } from './helpers/golden.ts';
import { gpuTests } from './helpers/webgpu.ts';

async function roundTrip(backend: BackendChoice) {
  const g = golden('tiny-a'); // sliding window 8: the ring holds 8 + 512 positions
  const { engine: m } = await openEngine(join(g.dir, 'model.gguf'), { backend, precision: 'exact', threads: 1, maxBatch: 64, context: 1024 });
  try {
    const prompt = Array.from({ length: 600 }, (_, i) => g.ids[i % g.ids.length]); // past the ring's 520 slots
    const a = m.newSession();
    await a.eval(prompt, 'last');
    const saved = a.save();
    expect(saved.length).toBe(600);
    const b = m.newSession();
    await b.eval(g.ids.slice(0, 30), 'last'); // something else in it first
    b.restore(saved);
    expect(b.position).toBe(600);
    const next = g.ids.slice(5, 12);
    const [wa, wb] = [await a.eval(next, 'all'), await b.eval(next, 'all')];
    expect(wb.length).toBe(wa.length);
    expect(wb.every((v, i) => v === wa[i])).toBe(true);
    saved.release();
    // a shorter state restored, then rewound within the ring's slack, continues as a fresh prefill would
    const c = m.newSession(), d = m.newSession();
    await c.eval(prompt.slice(0, 100), 'last');
    const s100 = c.save();
    d.restore(s100);
    expect(d.rewind(60)).toBe(true);
    const fresh = m.newSession();
    await fresh.eval(prompt.slice(0, 60), 'last');
    const [x, y] = [await d.eval(next, 'all'), await fresh.eval(next, 'all')];
    expect(Math.max(...x.map((v, i) => Math.abs(v - y[i])))).toBeLessThanOrEqual(1e-4);
    s100.release();
  } finally {
    m.release();
  }
}

describe('K/V save and restore', () => {
  test('CPU: bit-identical continuation after a wrapped ring; restore + rewind = a fresh prefill', () => roundTrip('cpu'));
  test.if(gpuTests('K/V save and restore'))('WebGPU (Deno child): the same', () => roundTrip('webgpu'));
});
