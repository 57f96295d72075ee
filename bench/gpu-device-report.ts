// summary.md of a bench/gpu-device.sh run: the machine, the adapter, the steps and their times,
// issue 12's targets against what was measured, the goldens, the upload breakdown and the CPU vs
// GPU table, from the files the steps left in the folder. Also summary.json.
// Usage: deno run -A bench/gpu-device-report.ts --dir OUT
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { parseArgs, str } from '../src/cli/args.ts';
import type { GpuRun, GpuSummary } from './gpu-report.ts';
import { gpuMarkdown } from './gpu-report.ts';

const dir = str(parseArgs(process.argv.slice(2)), 'dir');
const text = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : '');
// deno-lint-ignore no-explicit-any
const json = (f: string): any => { // a JSON file, or the JSON last line of a log
  const t = text(f).trim();
  for (const s of [t, t.split('\n').at(-1) ?? '']) { try { return JSON.parse(s); } catch { /* next */ } }
  return null;
};

const steps = text('steps.tsv').trim().split('\n').slice(1).filter(Boolean).map((l) => l.split('\t'));
const probe = json('adapter.json');
const golden = json('golden.json');
const uploads = ['upload-default.json', 'upload-noprefetch.json', 'upload-staging64.json'].map((f) => [f, json(f)] as const).filter(([, u]) => u);
const benchFile = readdirSync(dir).filter((f) => /^gpu-.*\.json$/.test(f)).sort().at(-1);
const bench: GpuSummary | null = benchFile ? json(benchFile) : null;
const ppFile = readdirSync(dir).find((f) => /^pp\d+\.json$/.test(f));
const pp: GpuRun | null = ppFile ? json(ppFile) : null;
const gpuRun = bench?.runs.find((r) => r.backend === 'webgpu' && r.route.includes('in-process')) ?? null;
const bestUpload = uploads.reduce<number | null>((m, [, u]) => Math.max(m ?? 0, u.mb_per_s), null);

type Target = { what: string; goal: string; got: string; met: boolean | null };
const fmt = (x: number | undefined | null, d = 1) => (x === undefined || x === null || !Number.isFinite(x) ? 'not measured' : x.toFixed(d));
const targets: Target[] = [
  { what: 'goldens tiny-a/tiny-b on WebGPU (exact and fast tiers)', goal: 'all pass',
    got: golden ? `${golden.checks.filter((c: { pass: boolean }) => c.pass).length} of ${golden.checks.length} pass` : 'not run', met: golden ? golden.checks.every((c: { pass: boolean }) => c.pass) : null },
  { what: 'weight upload (bench/gpu-upload.ts, warm page cache)', goal: '≥ 1500 MB/s', got: `${fmt(bestUpload, 0)} MB/s`, met: bestUpload === null ? null : bestUpload >= 1500 },
  { what: `decode, tg${gpuRun?.gen_tokens ?? ''} (WebGPU, Deno in-process)`, goal: '≥ 150 tok/s', got: `${fmt(gpuRun?.decode_tps)} tok/s`, met: gpuRun ? gpuRun.decode_tps >= 150 : null },
  { what: `prefill, pp${pp?.prompt_tokens ?? 512} (WebGPU)`, goal: '≥ 2000 tok/s', got: `${fmt(pp?.prefill_tps)} tok/s`, met: pp ? pp.prefill_tps >= 2000 : null },
  { what: `first token of a ${gpuRun?.prompt_tokens ?? 128}-token prompt after load`, goal: '< 1 s', got: `${fmt(gpuRun?.ttft_s, 2)} s`, met: gpuRun ? gpuRun.ttft_s < 1 : null },
];

const out: string[] = ['# oss-edge on a GPU machine (bench/gpu-device.sh)', '', '```', text('machine.txt').trim(), '```', ''];
out.push(`Adapter: ${probe?.adapter ? `${probe.adapter.description || '(no description)'}${probe.software ? ' (software)' : ''}; maxBufferSize ${probe.adapter.maxBufferSize}, ` +
  `maxStorageBufferBindingSize ${probe.adapter.maxStorageBufferBindingSize}; features ${probe.adapter.features.join(', ')}` : `none (${probe?.why ?? 'the probe did not run'})`}`, '');
if (/^smoke: 1/m.test(text('machine.txt'))) out.push('**Smoke run** (--smoke): a tiny synthetic model and short prompts, to check the bundle and the script — no speed figure here means anything.', '');
out.push('## Targets (issue 12)', '', '| | target | measured | |', '|---|---|---|---|',
  ...targets.map((t) => `| ${t.what} | ${t.goal} | ${t.got} | ${t.met === null ? 'not measured' : t.met ? 'met' : '**missed**'} |`), '');
out.push('## Steps', '', '| step | status | seconds | limit |', '|---|---|---|---|', ...steps.map((s) => `| ${s.join(' | ')} |`), '');
const notDone = steps.filter((s) => s[1] !== 'ok');
if (notDone.length) out.push(`Not completed: ${notDone.map((s) => `${s[0]} (${s[1]})`).join(', ')} — see the step's .log.`, '');
if (golden) out.push('## Goldens', '', text('golden.md').trim(), '');
if (uploads.length) {
  out.push('## Weight upload', '', 'Runs: the defaults (reader threads with ≥ 4 cores, 8 MiB staging); OSS_EDGE_WEBGPU_PREFETCH=0; OSS_EDGE_WEBGPU_STAGING_MB=64. Steps in seconds of the JS thread\'s CPU time (--cpu-clock); other threads: the readers and the driver.', '',
    '| run | MB/s | s | fill | map | copy | unmap | record | submit | wait | JS thread CPU s | other threads CPU s |', '|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const [f, u] of uploads) {
    const b = u.backend ?? {};
    out.push(`| ${f.replace(/^upload-|\.json$/g, '')} | ${fmt(u.mb_per_s, 0)} | ${fmt(u.seconds)} | ${['fill_s', 'map_s', 'copy_s', 'unmap_s', 'record_s', 'submit_s', 'wait_s'].map((k) => fmt(b[k], 2)).join(' | ')} | ` +
      `${fmt(u.cpu_main_s, 2)} | ${fmt(u.cpu_other_threads_s, 2)} |`);
  }
  out.push('');
}
if (bench) out.push('## CPU vs GPU', '', gpuMarkdown(bench).trim(), '', `![chart](${benchFile!.replace(/\.json$/, '.svg')})`, '');
if (pp) out.push(`## Prefill pp${pp.prompt_tokens}`, '', `${fmt(pp.prefill_tps)} tok/s prefill, ${fmt(pp.decode_tps)} tok/s decode after it, load ${fmt(pp.load_s)} s (${pp.adapter}).`, '');
writeFileSync(join(dir, 'summary.md'), out.join('\n'));
writeFileSync(join(dir, 'summary.json'), JSON.stringify({ targets, steps, adapter: probe, golden: golden?.checks ?? null, uploads: Object.fromEntries(uploads), bench, pp }, null, 2) + '\n');
console.log(out.join('\n'));
