// Where a decoded token's time goes on the CPU backend: every backend op is wrapped with a timer
// (CPU ops run synchronously, so a call's wall time is its cost), matmuls are grouped by weight
// (q, k, v, o, router, unembed; experts by gate_up/down) and shown with the GB/s of weights they
// read, beside the time outside the ops (engine, sampling). A diagnostic, not a peer comparison:
// bench/run.ts is the benchmark.
// With --streams N, N sessions decode together (engine.step, one batched forward per step, as the
// server's scheduler runs them) and the figures are per step of all N.
// Usage: bun bench/profile-decode.ts --model PATH [--prompt 64] [--gen 32] [--streams 1] [--threads 2] [--precision fast] [--reps 3]
import { cpus } from 'node:os';
import { openEngine } from '../src/boot/open-model.ts';
import { int, parseArgs, str } from '../src/cli/args.ts';
import { argmax } from '../src/backends/argmax.ts';
import { OPS } from '../src/backends/ops.ts';

const a = parseArgs(process.argv.slice(2));
const promptLen = int(a, 'prompt', 64), gen = int(a, 'gen', 32), threads = int(a, 'threads', 2), reps = int(a, 'reps', 3);
const streams = int(a, 'streams', 1);
const precision = str(a, 'precision', 'fast') as 'exact' | 'fast';
const { engine } = await openEngine(str(a, 'model'), { backend: 'cpu', precision, threads, maxBatch: Math.max(promptLen, streams), context: promptLen + gen + 1 });
const be = engine.backend as unknown as Record<string, (...args: unknown[]) => unknown>;
const c = engine.config, sizes = new Map([...engine.checkpoint.tensors.values()].map((t) => [t.name, t.byteSize]));

/** A matmul's group: the weight's name without its layer number. */
const group = (name: string) => name.replace(/\.\d+\./, '.*.').replace(/\[\d+\]$/, '');
let on = false;
const ms = new Map<string, number>(), bytes = new Map<string, number>(), calls = new Map<string, number>();
const add = (key: string, t: number, b: number) => {
  ms.set(key, (ms.get(key) ?? 0) + t); bytes.set(key, (bytes.get(key) ?? 0) + b); calls.set(key, (calls.get(key) ?? 0) + 1);
};
for (const op of [...Object.keys(OPS), 'read']) {
  const f = be[op].bind(be);
  be[op] = (...args: unknown[]) => {
    if (!on) return f(...args);
    const t0 = performance.now();
    const r = f(...args);
    const t = performance.now() - t0;
    const w = args[0] as { name?: string };
    if (op === 'matmul') add(`matmul ${group(w.name!)}`, t, sizes.get(w.name!) ?? 0);
    else if (op === 'expertMatmul') add(`expertMatmul ${group(w.name!)}`, t, ((sizes.get(w.name!) ?? 0) / c.numExperts) * routedExperts());
    else add(op, t, 0);
    return r;
  };
}

/** Experts with at least one token in the last route() (what an expert product reads). */
const routedExperts = () => new Set((be as unknown as { products: { ex: { routing: { ids: Int32Array } } } }).products.ex.routing.ids.subarray(0, streams * c.expertsPerToken)).size;

const ids = Array.from({ length: promptLen }, (_, i) => (i * 7919) % Math.min(50000, c.vocabSize));
console.log(`${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} CPUs; ${threads} threads, ${precision}; prompt ${promptLen}, ${gen} decode steps × ${reps}${streams > 1 ? `, ${streams} streams per step` : ''}`);
for (let rep = 0; rep < reps; rep++) {
  ms.clear(); bytes.clear(); calls.clear();
  // each stream its own prompt (rotated ids), so their experts differ as different requests' would
  const ss = Array.from({ length: streams }, () => engine.newSession());
  let next: number[] = [];
  for (let j = 0; j < streams; j++) next.push(argmax(await ss[j].eval(ids.map((_, i) => ids[(i + 13 * j) % promptLen]), 'last')));
  // the logits land in one reused array, as the server's scheduler passes `into`: a fresh 0.8 MB
  // row per token would show up as time in `read` that serving never spends
  const into = new Float32Array(streams * c.vocabSize);
  on = true;
  const t0 = performance.now();
  for (let i = 0; i < gen; i++) next = (await engine.step(ss.map((session, j) => ({ session, ids: [next[j]] })), into)).map(argmax);
  const total = performance.now() - t0;
  on = false;
  const rows = [...ms.entries()].sort((x, y) => y[1] - x[1]);
  const inOps = rows.reduce((n, [, t]) => n + t, 0);
  console.log(`\nrep ${rep + 1}: ${(total / gen).toFixed(1)} ms/step (${((gen * streams * 1000) / total).toFixed(2)} tok/s); outside the ops ${((total - inOps) / gen).toFixed(2)} ms/step`);
  for (const [k, t] of rows) {
    const b = bytes.get(k)!, gbs = b ? `${(b / (t / 1000) / 1e9).toFixed(1)} GB/s` : '';
    console.log(`  ${k.padEnd(40)} ${(t / gen).toFixed(2).padStart(7)} ms/step ${String(calls.get(k)! / gen).padStart(5)} calls ${gbs}`);
  }
}
engine.release();
process.exit(0);
