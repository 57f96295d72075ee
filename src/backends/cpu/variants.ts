// Which kernel variant (kernels.ts VARIANTS) this process runs: OSS_EDGE_KERNELS=<variant> forces
// one; `auto` (the default) times each variant this runtime can compile on a small synthetic
// MXFP4 matrix once, as XNNPACK probes its microkernels at start-up, and keeps the fastest — the
// same wasm lowers very differently per runtime and CPU (research/cpu-kernels-2026-12.md).
// Every variant computes the same integers; only speed differs.
import { VARIANTS, actRowBytes, matmulKernel } from './kernels.ts';
import { buildModule, instantiate } from './module.ts';

export interface VariantChoice {
  name: string;
  module: WebAssembly.Module;
  /** How it was chosen, and the probe's best µs per call of each candidate. */
  how: 'env' | 'probe' | 'only';
  timings: Record<string, number>;
}

const chosen = new Map<string, VariantChoice>();

/** The variants this runtime can compile, in table order. */
export function availableVariants(): string[] {
  return Object.keys(VARIANTS).filter((v) => buildModule(VARIANTS[v].build) !== null);
}

/**
 * The variant for a request: a name, or `auto` (then OSS_EDGE_KERNELS when set, else the probe,
 * run once per process). Unknown names and builds this runtime cannot compile are errors.
 */
export function resolveVariant(want = 'auto'): VariantChoice {
  if (want === 'auto') want = process.env.OSS_EDGE_KERNELS || 'auto';
  const known = chosen.get(want);
  if (known) return known;
  let choice: VariantChoice;
  if (want !== 'auto') {
    if (!VARIANTS[want]) throw new Error(`kernel variant ${want}: expected auto or one of ${Object.keys(VARIANTS).join(', ')}`);
    const module = buildModule(VARIANTS[want].build);
    if (!module) throw new Error(`kernel variant ${want}: this runtime cannot compile the ${VARIANTS[want].build} kernel build`);
    choice = { name: want, module, how: 'env', timings: {} };
  } else {
    const names = availableVariants();
    const timings = names.length > 1 ? probe(names) : {};
    const name = names.length > 1 ? names.reduce((a, b) => (timings[b] < timings[a] ? b : a)) : names[0];
    choice = { name, module: buildModule(VARIANTS[name].build)!, how: names.length > 1 ? 'probe' : 'only', timings };
    if (process.env.OSS_EDGE_DEBUG) console.error(`[cpu] kernels: ${name} (${choice.how}) ${JSON.stringify(timings)}`);
  }
  chosen.set(want, choice);
  return choice;
}

/** The process's default variant (the backend takes EngineOptions.kernels instead). */
export function activeVariant(): VariantChoice {
  return resolveVariant();
}

/** The module every arena of this process instantiates. */
export function kernelModule(): WebAssembly.Module {
  return activeVariant().module;
}

/**
 * Best µs per call of each variant's MXFP4×q8 kernel (the kernel the variants differ in) on a
 * 256×2880 matrix (~390 KB: cache-resident, so the probe times compute, not the memory of the
 * moment); candidates alternate so a burst of load elsewhere hits them alike, and the best of 40
 * rounds (~10 ms in all) survives a loaded machine. Round 0 lets the engines tier up.
 */
function probe(names: string[]): Record<string, number> {
  const rows = 256, cols = 2880, nb = cols / 32, wBytes = rows * nb * 17, xBytes = actRowBytes('q8', cols);
  const memory = new WebAssembly.Memory({ initial: 16, maximum: 16, shared: true });
  const u8 = new Uint8Array(memory.buffer), base = 65536, w = base, x = w + wBytes, y = x + cols * 4 + xBytes;
  let seed = 12345;
  for (let i = 0; i < wBytes; i++) { seed = (seed * 1103515245 + 12345) >>> 0; u8[w + i] = seed >>> 24; }
  for (let i = 0; i < rows * nb; i++) u8[w + 17 * i] = 118 + (i % 16); // finite scales
  const xf = new Float32Array(memory.buffer, x, cols);
  for (let i = 0; i < cols; i++) xf[i] = Math.sin(i * 0.37);
  const runs = names.map((n) => {
    const k = instantiate(memory, buildModule(VARIANTS[n].build)!);
    return { n, fn: k[matmulKernel('mxfp4', 'fast', n).name], k };
  });
  runs[0].k.repack_mxfp4_r8(w, rows, cols, y + rows * 4);
  runs[0].k.quantize_q8(x, x + cols * 4, cols, 1);
  const best: Record<string, number> = {};
  for (let round = 0; round < 41; round++) {
    for (const { n, fn } of runs) {
      const t = performance.now();
      for (let i = 0; i < 2; i++) fn(w, x + cols * 4, y, cols, rows, 1, 0, rows);
      const us = ((performance.now() - t) * 1000) / 2;
      if (round > 0) best[n] = Math.min(best[n] ?? Infinity, us); // round 0 warms the tiers up
    }
  }
  return best;
}
