// Which kernel variant (kernels.ts VARIANTS) this process runs: OSS_EDGE_KERNELS=<variant> forces
// one; `auto` (the default) times each variant this runtime can compile on small synthetic MXFP4
// and Q8_0 matrices once, as XNNPACK probes its microkernels at start-up, and keeps the fastest — the
// same wasm lowers very differently per runtime and CPU (research/cpu-kernels-2026-12.md).
// Every variant computes the same integers; only speed differs.
import { VARIANTS, actRowBytes, matmulKernel } from './kernels.ts';
import { REPACK_KERNEL } from './repack.ts';
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
 * Each variant's cost on this machine: best µs per call of its MXFP4×q8 kernel on a 256×2880
 * matrix plus that of its Q8_0×q8 kernel on as many weight bytes (the 20b reads about as many
 * bytes of each format per token). Matrices are cache-resident, so the probe times compute, not
 * the memory of the moment; candidates alternate so a burst of load elsewhere hits them alike,
 * and the best of 40 rounds (~40 ms in all) survives a loaded machine. Round 0 lets the engines
 * tier up.
 */
function probe(names: string[]): Record<string, number> {
  const rows = 256, cols = 2880, nb = cols / 32, mxBytes = rows * nb * 17, q8Bytes = rows * nb * 34, xBytes = actRowBytes('q8', cols);
  const memory = new WebAssembly.Memory({ initial: 48, maximum: 48, shared: true });
  const u8 = new Uint8Array(memory.buffer), x = 65536, xq = x + cols * 4, y = xq + xBytes, scratch = y + rows * 4;
  let at = scratch + 4 * nb * 34 + rows * nb * 8; // past the repacks' scratch
  const alloc = (n: number) => { const p = at; at += Math.ceil(n / 64) * 64; return p; };
  let seed = 12345;
  const fill = (p: number, n: number) => { for (let i = 0; i < n; i++) { seed = (seed * 1103515245 + 12345) >>> 0; u8[p + i] = seed >>> 24; } };
  const xf = new Float32Array(memory.buffer, x, cols);
  for (let i = 0; i < cols; i++) xf[i] = Math.sin(i * 0.37);
  const runs = names.map((n) => ({ n, k: instantiate(memory, buildModule(VARIANTS[n].build)!), mx: matmulKernel('mxfp4', 'fast', n), q8: matmulKernel('q8_0', 'fast', n) }));
  runs[0].k.quantize_q8(x, xq, cols, 1);
  // one MXFP4 matrix; one Q8_0 matrix per layout (codes in ±127, f16 scales near 2^-7)
  const mx = alloc(mxBytes);
  fill(mx, mxBytes);
  for (let i = 0; i < rows * nb; i++) u8[mx + 17 * i] = 118 + (i % 16); // finite scales
  runs[0].k.repack_mxfp4_r8(mx, rows, cols, scratch);
  const q8 = new Map<string, number>();
  for (const r of runs) {
    if (q8.has(r.q8.layout)) continue;
    const p = alloc(q8Bytes);
    fill(p, q8Bytes);
    for (let i = 0; i < rows * nb; i++) { u8[p + 34 * i] = i & 255; u8[p + 34 * i + 1] = 0x20; }
    for (let i = 0; i < q8Bytes; i++) if (u8[p + i] === 0x80) u8[p + i] = 0x81;
    (r.k as unknown as Record<string, (...a: number[]) => number>)[REPACK_KERNEL[r.q8.layout]!](p, rows, cols, scratch);
    q8.set(r.q8.layout, p);
  }
  const fns = runs.map(({ n, k, mx: m, q8: q }) => {
    const f = k as unknown as Record<string, (...a: number[]) => void>;
    return { n, mxFn: f[m.name], q8Fn: f[q.name], q8w: q8.get(q.layout)! };
  });
  const time = (fn: () => void) => { const t = performance.now(); fn(); fn(); return ((performance.now() - t) * 1000) / 2; };
  const best: Record<string, number> = {}, bestMx: Record<string, number> = {}, bestQ8: Record<string, number> = {};
  for (let round = 0; round < 41; round++) {
    for (const { n, mxFn, q8Fn, q8w } of fns) {
      const a = time(() => mxFn(mx, xq, y, cols, rows, 1, 0, rows)), b = time(() => q8Fn(q8w, xq, y, cols, rows, 1, 0, rows));
      if (round > 0) { bestMx[n] = Math.min(bestMx[n] ?? Infinity, a); bestQ8[n] = Math.min(bestQ8[n] ?? Infinity, b); }
    }
  }
  for (const { n } of fns) best[n] = bestMx[n] + bestQ8[n] * (mxBytes / q8Bytes);
  return best;
}
