// Keeps garbage from piling up between collections. Every generated token allocates a logits row
// (vocab × 4 bytes: 0.8 MB for gpt-oss, in engine/engine.ts, plus the sampler's scratch row per
// request) — about 2 MB of short-lived typed arrays per short chat request. JavaScriptCore counts
// that memory loosely and let RSS climb 3× (189 → 614 MiB over 2,000 requests) before collecting.
// A cheap RSS probe (~10 µs) ten times a second runs a full collection (~12 ms) once RSS has grown
// 15 % (and 16 MiB) past what the last collection left: the sawtooth stays within about that.
import type { Runtime } from './runtime.ts';

const PROBE_MS = 100;
const GROWTH = 1.15;
const MIN_GROWTH_BYTES = 16 << 20;

export function governMemory(rt: Runtime, rss: () => number = () => process.memoryUsage.rss()): { stop(): void } {
  const collect = rt.collectGarbage;
  if (!collect) return { stop() {} };
  let floor = rss();
  const timer = setInterval(() => {
    const now = rss();
    if (now < floor) floor = now;
    else if (now > floor * GROWTH && now - floor > MIN_GROWTH_BYTES) {
      collect();
      floor = rss();
    }
  }, PROBE_MS);
  (timer as { unref?: () => void }).unref?.();
  return { stop: () => clearInterval(timer) };
}
