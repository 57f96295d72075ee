// One timed generation on a loaded model: prefill the prompt ids, then decode greedily. Shared by
// bench/engine-run.ts (CPU vs llama.cpp) and bench/gpu-run.ts (CPU vs WebGPU).
import type { Engine } from '../src/engine/engine.ts';
import { argmax } from '../src/backends/argmax.ts';

export interface Timing { ttft_s: number; prefill_tps: number; decode_tps: number; decode_ms: number; last_id: number }

export async function timeGeneration(model: Engine, ids: number[], gen: number): Promise<Timing> {
  const s = model.newSession();
  const tStart = performance.now();
  let next = argmax(await s.eval(ids, 'last'));
  const tFirst = performance.now();
  // Decode as the server does at temperature 0 (scheduler.ts: stepGreedy): the argmax is taken
  // where the logits are and only the id comes back, as llama.cpp's own sampler does for the peer.
  // Reading the whole [V] row back each token (eval) cost 2-4 ms a token on the 20b more.
  const V = model.config.vocabSize;
  for (let i = 1; i < gen; i++) next = (await model.stepGreedy([{ session: s, ids: [next] }], V))[0];
  const tEnd = performance.now();
  return {
    ttft_s: (tFirst - tStart) / 1000, prefill_tps: ids.length / ((tFirst - tStart) / 1000),
    decode_tps: (gen - 1) / ((tEnd - tFirst) / 1000), decode_ms: (tEnd - tFirst) / (gen - 1), last_id: next,
  };
}

export { hugePageBytes, peakRss } from './proc-memory.mjs';
