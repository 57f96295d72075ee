// One measurement for bench/gpu.ts, in its own process: load the model on one backend, prefill the
// prompt ids, decode greedily, print one JSON line. Runs under Bun (the WebGPU backend then lives
// in a Deno child) or under Deno (WebGPU in-process).
// Usage: bun|deno bench/gpu-run.ts --backend cpu|webgpu --model PATH --ids ids.json --gen 8 [--threads T] [--precision exact|fast] [--batch 64]
import { readFileSync } from 'node:fs';
import process from 'node:process';
import type { BackendChoice } from '../src/backends/options.ts';
import { openEngine } from '../src/boot/open-model.ts';
import { int, parseArgs, str } from '../src/cli/args.ts';
import { timeGeneration } from './measure.ts';

const a = parseArgs(process.argv.slice(2));
const ids: number[] = JSON.parse(readFileSync(str(a, 'ids'), 'utf8')).ids;
const gen = int(a, 'gen', 8), threads = int(a, 'threads', 2);
const precision = str(a, 'precision', 'exact') as 'exact' | 'fast';
const choice = str(a, 'backend') as BackendChoice;

const t0 = performance.now();
const { engine: model } = await openEngine(str(a, 'model'), { backend: choice, precision, threads, maxBatch: int(a, 'batch', Math.min(64, ids.length)), context: ids.length + gen + 1 });
const loadS = (performance.now() - t0) / 1000;
const t = await timeGeneration(model, ids, gen);
const d = model.backend.describe() as { name: string; threads: number; weightBytes: number; adapter?: string; via?: string; upload?: unknown };
const runtime = typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined' ? 'deno' : 'bun';
console.log(JSON.stringify({
  backend: d.name, runtime, route: d.name === 'webgpu' ? (d.via === 'deno' ? 'bun → deno child' : `${runtime}, in-process`) : runtime,
  adapter: d.adapter ?? null, threads: d.name === 'cpu' ? d.threads : null, precision, load_s: loadS,
  prompt_tokens: ids.length, gen_tokens: gen, ...t, weight_bytes: d.weightBytes, upload: d.upload ?? null,
}));
model.release();
process.exit(0);
