// One timed generation on a loaded model: prefill the prompt ids, then decode greedily. Shared by
// bench/engine-run.ts (CPU vs llama.cpp) and bench/gpu-run.ts (CPU vs WebGPU).
import type { Engine } from '../src/engine/engine.ts';
import { argmax } from '../src/backends/argmax.ts';

export interface Timing {
  ttft_s: number; prefill_tps: number; decode_tps: number; decode_ms: number; last_id: number;
  /** tok/s of each window of gen − 1 decode steps; decode_tps is the fastest of them. */
  decode_windows_tps: number[];
}

/**
 * Prefill `ids`, then `windows` consecutive windows of gen − 1 greedy decode steps each (the first
 * token comes from the prefill). The fastest window is the figure: a host that slows for a few
 * seconds moves one window, not the run — the depth runs happen once per bench, after a prefill of
 * minutes.
 */
export async function timeGeneration(model: Engine, ids: number[], gen: number, windows = 1): Promise<Timing> {
  const s = model.newSession();
  const tStart = performance.now();
  let next = argmax(await s.eval(ids, 'last'));
  const tFirst = performance.now();
  // Decode as the server does at temperature 0 (scheduler.ts: stepGreedy): the argmax is taken
  // where the logits are and only the id comes back, as llama.cpp's own sampler does for the peer.
  // Reading the whole [V] row back each token (eval) cost 2-4 ms a token on the 20b more.
  const V = model.config.vocabSize;
  const ms: number[] = [];
  for (let w = 0, t = tFirst; w < windows; w++) {
    for (let i = 1; i < gen; i++) next = (await model.stepGreedy([{ session: s, ids: [next] }], V))[0];
    const now = performance.now();
    ms.push(now - t);
    t = now;
  }
  const best = Math.min(...ms);
  return {
    ttft_s: (tFirst - tStart) / 1000, prefill_tps: ids.length / ((tFirst - tStart) / 1000),
    decode_tps: (gen - 1) / (best / 1000), decode_ms: best / (gen - 1), last_id: next,
    decode_windows_tps: ms.map((m) => (gen - 1) / (m / 1000)),
  };
}

export { hugePageBytes, peakRss } from './proc-memory.mjs';
