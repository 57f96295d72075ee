// CPU vs WebGPU on identical weights (issue 6): the same model file and the same prompt through
// each backend, each run in its own process; prefill and decode tokens per second. The WebGPU
// backend is measured both ways it can run: under Deno in-process, and under Bun through the Deno
// child (the route `bun run serve` takes), which shows what the pipe costs per token. Run under
// Deno (a GPU machine without Bun: bench/gpu-device.sh), every run is a Deno process and the Bun
// route is left out (said so in the note).
// Writes gpu-<stamp>.json, .md, .svg and gpu-latest.md into --out (default bench/results); the last
// line printed is JSON.
// Usage: bun|deno bench/gpu.ts [--model PATH | --preset small] [--prompt 32] [--gen 8] [--threads T]
//        [--precision exact|fast] [--skip-cpu] [--timeout S] [--out DIR]
//        (--preset runs `src/cli.ts synth` once into the temp dir; gpt-oss-20b is the full-size one;
//        --timeout bounds each run, in seconds: a run past it is reported as skipped)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { int, parseArgs, str } from '../src/cli/args.ts';
import { denoPath } from '../src/backends/remote/remote-backend.ts';
import { loadCheckpoint } from '../src/model/checkpoint.ts';
import { gpuMarkdown, gpuSvg, type GpuRun, type GpuSummary } from './gpu-report.ts';
import { rng } from './rng.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url)), ROOT = join(HERE, '..');
const onDeno = typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined';
const a = parseArgs(process.argv.slice(2));
const promptLen = int(a, 'prompt', 32), gen = int(a, 'gen', 8), threads = int(a, 'threads', availableParallelism());
const precision = str(a, 'precision', 'exact');
const timeoutMs = a.flags.has('timeout') ? int(a, 'timeout', 0) * 1000 : undefined;
const deno = onDeno ? process.execPath : denoPath();

/** The command that runs a TypeScript file under `runtime`. */
function command(runtime: 'bun' | 'deno', file: string): [string, string[]] {
  return runtime === 'deno' ? [deno, ['run', '-A', '--quiet', file]] : [process.execPath, [file]];
}

let model = a.flags.has('model') ? str(a, 'model') : '';
if (!model) {
  const preset = str(a, 'preset', 'small');
  model = join(tmpdir(), `oss-edge-synth-${preset}.gguf`);
  if (!existsSync(model)) {
    console.error(`writing the synthetic ${preset} checkpoint to ${model} (once)…`);
    const [cmd, pre] = command(onDeno ? 'deno' : 'bun', join(ROOT, 'src/cli.ts'));
    const r = spawnSync(cmd, [...pre, 'synth', '--preset', preset, '--format', 'gguf', '--out', model, '--quiet'], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`synth --preset ${preset} failed`);
  }
}

// identical prompt for every backend: ordinary ids from a fixed seed
const ck = loadCheckpoint(model);
const V = ck.config.vocabSize;
ck.close();
const r = rng(1234);
const ids = Array.from({ length: promptLen }, () => Math.floor(r() * Math.min(V, 199998)));
const idsFile = join(tmpdir(), `oss-edge-gpu-bench-ids-${process.pid}.json`);
writeFileSync(idsFile, JSON.stringify({ ids }));

const skipped: string[] = [];
function once(runtime: 'bun' | 'deno', backend: 'cpu' | 'webgpu'): GpuRun | null {
  const [cmd, pre] = command(runtime, join(HERE, 'gpu-run.ts'));
  const args = [...pre, '--backend', backend, '--model', model, '--ids', idsFile, '--gen', String(gen), '--threads', String(threads), '--precision', precision];
  const p = spawnSync(cmd, args, { encoding: 'utf8', cwd: ROOT, timeout: timeoutMs, maxBuffer: 64 << 20 });
  const line = (p.stdout ?? '').trim().split('\n').at(-1) ?? '';
  if (p.error || p.signal) {
    skipped.push(`${backend} under ${runtime}: not finished within ${timeoutMs! / 1000} s (${p.signal ?? p.error?.message})`);
    console.error(skipped.at(-1));
    return null;
  }
  if (p.status !== 0 || !line.startsWith('{')) throw new Error(`${runtime} gpu-run --backend ${backend} failed (${p.status}):\n${(p.stderr ?? '').slice(-2000)}`);
  const run: GpuRun = JSON.parse(line);
  console.error(`${run.backend} (${run.route}): load ${run.load_s.toFixed(1)} s, prefill ${run.prefill_tps.toFixed(2)} tok/s, decode ${run.decode_tps.toFixed(2)} tok/s (${run.decode_ms.toFixed(1)} ms/token)`);
  return run;
}

// The GPU first: with --timeout, the CPU's (long) run is the one a short budget cuts.
const inproc = once('deno', 'webgpu');
const cpu = a.flags.has('skip-cpu') ? null : once(onDeno ? 'deno' : 'bun', 'cpu');
if (a.flags.has('skip-cpu')) skipped.push('the CPU run (--skip-cpu)');
const viaChild = onDeno ? null : once('bun', 'webgpu');
const runs = [cpu, inproc, viaChild].filter((x): x is GpuRun => x !== null);
if (new Set(runs.map((x) => x.last_id)).size > 1) console.error(`note: the backends' last greedy ids differ (${runs.map((x) => x.last_id).join(', ')}): random weights, near-ties`);
let pipeNote: string;
if (onDeno) {
  pipeNote = 'Run under Deno alone (no Bun on this machine): the Bun → Deno child route was not measured.';
} else {
  const pipe = spawnSync(process.execPath, [join(HERE, 'gpu-pipe.ts'), '--n', '100'], { encoding: 'utf8', cwd: ROOT });
  const pipeMs: number = pipe.status === 0 ? JSON.parse(pipe.stdout.trim().split('\n').at(-1)!).pipe_ms : NaN;
  pipeNote = `Bun reaches WebGPU through a Deno child process (src/backends/remote/remote-backend.ts): one pipe round trip per read-back. ` +
    (viaChild && inproc ? `Per decoded token here: ${viaChild.decode_ms.toFixed(1)} ms through the child, ${inproc.decode_ms.toFixed(1)} ms in-process under Deno; ` : '') +
    `the pipe itself (bench/gpu-pipe.ts, median of 100 one-value read-backs, child minus in-process): ${pipeMs.toFixed(2)} ms per round trip.`;
}
const summary: GpuSummary = {
  date: new Date().toISOString(), model: basename(model), machine: `${cpus()[0]?.model ?? 'cpu'} ×${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
  note: pipeNote + (skipped.length ? ` Not measured: ${skipped.join('; ')}.` : '') +
    (runs.some((x) => x.adapter && /llvmpipe|lavapipe/i.test(x.adapter)) ? ' The adapter is lavapipe (Mesa software Vulkan on the CPU): correctness, not speed.' : ''),
  runs,
};
const dir = a.flags.has('out') ? str(a, 'out') : join(HERE, 'results');
mkdirSync(dir, { recursive: true });
const stamp = summary.date.replace(/[:.]/g, '-');
writeFileSync(join(dir, `gpu-${stamp}.json`), JSON.stringify(summary, null, 2) + '\n');
const md = gpuMarkdown(summary) + `\n![chart](gpu-${stamp}.svg)\n`;
writeFileSync(join(dir, `gpu-${stamp}.md`), md);
writeFileSync(join(dir, `gpu-${stamp}.svg`), gpuSvg(summary) + '\n');
writeFileSync(join(dir, 'gpu-latest.md'), md);
console.error('\n' + md);
console.log(JSON.stringify(summary));
process.exit(0);
