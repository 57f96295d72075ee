// The golden checks of test/webgpu-golden.test.ts for a machine without Bun (a GPU machine has only
// Deno: bench/gpu-device.sh): `eval --backend webgpu` of golden tiny-a and tiny-b, each file format
// at the exact tier, the GGUF at the fast tier too, compared by bench/golden-check.ts. Prints a
// markdown table, writes the results as JSON (--out), exits 1 if any check misses its tier.
// Usage: deno run -A bench/gpu-golden.ts [--golden DIR (default ../shared/golden)] [--out FILE.json] [--timeout S]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { int, parseArgs, str } from '../src/cli/args.ts';
import { denoPath } from '../src/backends/remote/remote-backend.ts';
import { compareRows, meetsTier, readGolden, runEval, TIERS, type Diff } from './golden-check.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const a = parseArgs(process.argv.slice(2));
const goldenDir = str(a, 'golden', join(ROOT, '..', 'shared', 'golden'));
const timeoutMs = int(a, 'timeout', 120) * 1000;
const deno = typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined' ? process.execPath : denoPath();
const tmp = mkdtempSync(join(tmpdir(), 'oss-edge-gpu-golden-'));

interface Check { golden: string; file: string; precision: 'exact' | 'fast'; against: string; diff: Diff | null; ids: boolean; pass: boolean; seconds: number; error?: string }
const checks: Check[] = [];
let n = 0;
for (const name of ['tiny-a', 'tiny-b']) {
  const g = readGolden(join(goldenDir, name));
  for (const [file, precision] of [['model.gguf', 'exact'], ['model.safetensors', 'exact'], ['model.gguf', 'fast']] as const) {
    const t0 = performance.now();
    const base = { golden: name, file, precision };
    try {
      const r = runEval([deno, 'run', '-A', '--quiet', join(ROOT, 'src', 'cli.ts')], join(g.dir, file), join(g.dir, 'prompt.json'), g.greedy.length,
        join(tmp, String(n++)), ['--backend', 'webgpu', '--precision', precision], { cwd: ROOT, timeoutMs });
      const seconds = (performance.now() - t0) / 1000, ids = JSON.stringify(r.greedyIds) === JSON.stringify(g.greedy);
      const pairs = precision === 'exact'
        ? [['exact prompt', r.promptLogits, g.refPrompt], ['exact greedy', r.greedyLogits, g.refForced]] as const
        : [['exact prompt', r.promptLogits, g.refPrompt], ['exact greedy', r.greedyLogits, g.refForced],
          ['llama.cpp prompt', r.promptLogits, g.llamaPrompt], ['llama.cpp greedy', r.greedyLogits, g.llamaGreedy]] as const;
      for (const [against, mine, ref] of pairs) {
        const diff = compareRows(mine, ref, g.vocab);
        checks.push({ ...base, against, diff, ids, pass: ids && meetsTier(precision, diff), seconds });
      }
    } catch (e) {
      checks.push({ ...base, against: '-', diff: null, ids: false, pass: false, seconds: (performance.now() - t0) / 1000, error: (e as Error).message.slice(0, 2000) });
    }
  }
}
rmSync(tmp, { recursive: true, force: true });

const fmt = (x: number) => x.toExponential(2);
const rows = checks.map((c) => `| ${c.golden} | ${c.file} | ${c.precision} | ${c.against} | ${c.diff ? fmt(c.diff.max) : '-'} | ${c.diff ? fmt(c.diff.mean) : '-'} | ` +
  `${c.diff ? `${(100 * c.diff.argmaxAgree).toFixed(0)} %` : '-'} | ${c.ids ? 'yes' : 'no'} | ${c.pass ? 'pass' : `**FAIL**${c.error ? `: ${c.error.split('\n')[0]}` : ''}`} |`);
const md = [`Tiers (bench/golden-check.ts): exact max |d| ≤ ${TIERS.exact.max}; fast mean |d| ≤ ${TIERS.fast.mean}, argmax ≥ ${100 * TIERS.fast.argmaxAgree} %; greedy ids as the golden's.`, '',
  '| golden | file | precision | against | max \\|d\\| | mean \\|d\\| | argmax | same greedy ids | |', '|---|---|---|---|---|---|---|---|---|', ...rows, ''].join('\n');
console.log(md);
if (a.flags.has('out')) writeFileSync(str(a, 'out'), JSON.stringify({ tiers: TIERS, checks }, null, 2) + '\n');
process.exit(checks.every((c) => c.pass) ? 0 : 1);
