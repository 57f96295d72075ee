// The golden contract (../shared/golden/README.md) as code, for the tests and for scripts that run
// where bun:test is not (bench/gpu-golden.ts on a GPU machine): how two logit sets are compared,
// and what each precision tier must reach against the references.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import process from 'node:process';

export interface Diff { max: number; mean: number; argmaxAgree: number; rows: number }

/** |a − b| over rows of V logits: max, mean, and the share of rows whose argmax agrees. */
export function compareRows(a: Float32Array, b: Float32Array, V: number): Diff {
  if (a.length !== b.length) throw new Error(`row counts differ: ${a.length / V} vs ${b.length / V}`);
  let max = 0, sum = 0, agree = 0;
  const rows = a.length / V;
  for (let r = 0; r < rows; r++) {
    let ia = 0, ib = 0;
    for (let i = 0; i < V; i++) {
      const d = Math.abs(a[r * V + i] - b[r * V + i]);
      if (!(d <= max)) max = d; // NaN propagates as a failure
      sum += d;
      if (a[r * V + i] > a[r * V + ia]) ia = i;
      if (b[r * V + i] > b[r * V + ib]) ib = i;
    }
    if (ia === ib) agree++;
  }
  return { max, mean: sum / a.length, argmaxAgree: agree / rows, rows };
}

/**
 * What a backend's logits must reach against the float64 reference (and llama.cpp's, for fast):
 *   exact  max |d| ≤ 1e-3 on every row (all f32 arithmetic)
 *   fast   mean |d| ≤ 0.05 and the same argmax on ≥ 95 % of rows (8-bit activations or f16 K/V)
 */
export const TIERS = {
  exact: { max: 1e-3 },
  fast: { mean: 0.05, argmaxAgree: 0.95 },
} as const;

export function meetsTier(tier: keyof typeof TIERS, d: Diff): boolean {
  return tier === 'exact' ? d.max <= TIERS.exact.max : d.mean <= TIERS.fast.mean && d.argmaxAgree >= TIERS.fast.argmaxAgree;
}

export function f32file(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** A golden folder's files (../shared/golden/<name>: config, prompt, greedy ids, reference logits). */
export interface Golden {
  dir: string; vocab: number; ids: number[]; greedy: number[];
  refPrompt: Float32Array; refForced: Float32Array; llamaPrompt: Float32Array; llamaGreedy: Float32Array;
}

export function readGolden(dir: string): Golden {
  const j = (f: string) => JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'));
  return {
    dir, vocab: j('config.json').vocab_size, ids: j('prompt.json').ids, greedy: j('greedy.json').greedy_ids,
    refPrompt: f32file(`${dir}/ref/ref_hf_logits_prompt.f32`), refForced: f32file(`${dir}/ref/ref_hf_logits_forced.f32`),
    llamaPrompt: f32file(`${dir}/logits_prompt.f32`), llamaGreedy: f32file(`${dir}/logits_greedy.f32`),
  };
}

export interface EvalOut { promptLogits: Float32Array; greedyLogits: Float32Array; greedyIds: number[] }

/**
 * `src/cli.ts eval` in a fresh process: `cli` is the command up to and including the script path
 * ([deno, 'run', '-A', '--quiet', cli.ts] or [bun, cli.ts]), run in `o.cwd` (the project root);
 * the outputs are read from `out`.
 */
export function runEval(cli: string[], model: string, prompt: string, greedy: number, out: string, flags: string[],
  o: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {}): EvalOut {
  const args = ['eval', '--model', model, '--prompt', prompt, '--greedy', String(greedy), '--out', out, ...flags];
  const r = spawnSync(cli[0], [...cli.slice(1), ...args], { cwd: o.cwd, encoding: 'utf8', env: { ...process.env, ...o.env }, timeout: o.timeoutMs });
  if (r.status !== 0) throw new Error(`eval ${model} ${flags.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr}`);
  return {
    promptLogits: f32file(`${out}/logits_prompt.f32`), greedyLogits: f32file(`${out}/logits_greedy.f32`),
    greedyIds: JSON.parse(readFileSync(`${out}/greedy.json`, 'utf8')).greedy_ids,
  };
}
