// What the Bun → Deno route costs: the median time of a read-back of a 1-value buffer (one
// submit + mapAsync, nothing else queued) through the Deno child from Bun, and in-process under
// Deno. The difference is the pipe (frames + process hop) per round trip; a decode step makes one.
// Usage: bun bench/gpu-pipe.ts [--model PATH] [--n 100]   (runs itself under Deno for the other half)
import { spawnSync } from 'node:child_process';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { openEngine } from '../src/boot/open-model.ts';
import { int, parseArgs, str } from '../src/cli/args.ts';
import { denoPath } from '../src/backends/remote/remote-backend.ts';

const a = parseArgs(process.argv.slice(2));
const model = str(a, 'model', fileURLToPath(new URL('../../shared/golden/tiny-a/model.gguf', import.meta.url)));
const n = int(a, 'n', 100);

async function measure(): Promise<{ runtime: string; median_ms: number; p90_ms: number }> {
  const { engine: m } = await openEngine(model, { backend: 'webgpu', context: 16 });
  const buf = m.backend.buffer(1, 1);
  await m.backend.read(buf, 1);
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await m.backend.read(buf, 1);
    t.push(performance.now() - t0);
  }
  m.release();
  t.sort((x, y) => x - y);
  return { runtime: typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined' ? 'deno, in-process' : 'bun → deno child', median_ms: t[n >> 1], p90_ms: t[Math.floor(n * 0.9)] };
}

const mine = await measure();
if (a.flags.has('inner')) {
  console.log(JSON.stringify(mine));
} else {
  const p = spawnSync(denoPath(), ['run', '-A', '--quiet', fileURLToPath(import.meta.url), '--inner', '--model', model, '--n', String(n)], { encoding: 'utf8' });
  if (p.status !== 0) throw new Error(`deno half failed: ${p.stderr}`);
  const other = JSON.parse(p.stdout.trim().split('\n').at(-1)!);
  for (const r of [other, mine]) console.log(`${r.runtime.padEnd(18)} read-back round trip: median ${r.median_ms.toFixed(2)} ms, p90 ${r.p90_ms.toFixed(2)} ms`);
  console.log(JSON.stringify({ n, deno: other, bun: mine, pipe_ms: mine.median_ms - other.median_ms }));
}
process.exit(0);
