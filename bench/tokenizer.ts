// Tokenizing long text: our o200k_harmony (TypeScript, O(n log n) merges) against tiktoken's wasm
// encode_ordinary (the peer; quadratic in a run without spaces, openai/tiktoken#195) on the same
// inputs, 16 KiB … 1 MiB of one kind of text each. The peer is skipped past the first size it
// takes over 5 s for (it traps near 1 MiB). Writes bench/results/tokenizer-<stamp>.json + .md.
// Usage: npx bun bench/tokenizer.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { get_encoding } from 'tiktoken';
import { o200kHarmony } from '../src/tokenizer/index.ts';

const KINDS: Record<string, string> = { 'a repeated': 'a', CJK: '日本語中文', 'emoji pairs': '👍🏽', spaces: ' ', newlines: '\n', punctuation: '!?.,', prose: 'Hello, world! 日本 — ok?\n' };
const SIZES = [16 << 10, 64 << 10, 256 << 10, 1 << 20];
const fill = (unit: string, bytes: number) => unit.repeat(Math.floor(bytes / Buffer.byteLength(unit)));
const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];

function time(f: () => unknown, reps: number): number {
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) { const t = performance.now(); f(); ms.push(performance.now() - t); }
  return median(ms);
}

const ours = o200kHarmony();
const peer = get_encoding('o200k_base');
const rows: Array<{ kind: string; bytes: number; oursMs: number; peerMs: number | null; same: boolean | null }> = [];
for (const [kind, unit] of Object.entries(KINDS)) {
  let peerTooSlow = false;
  for (const bytes of SIZES) {
    const text = fill(unit, bytes);
    const ids = ours.encode(text);
    const oursMs = time(() => ours.encode(text), 3);
    let peerMs: number | null = null, same: boolean | null = null;
    if (!peerTooSlow) {
      try {
        peerMs = time(() => peer.encode_ordinary(text), 1);
        same = JSON.stringify(Array.from(peer.encode_ordinary(text))) === JSON.stringify(ids);
      } catch { peerMs = null; } // the wasm trapped
      peerTooSlow = peerMs === null || peerMs > 5000;
    }
    rows.push({ kind, bytes, oursMs, peerMs, same });
    console.error(`${kind} ${bytes >> 10} KiB: ours ${oursMs.toFixed(1)} ms, tiktoken ${peerMs === null ? '—' : `${peerMs.toFixed(1)} ms`}`);
  }
}

const cpu = `${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} threads)`;
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const md = [
  `# Tokenizing long text — ${stamp}`, '', `CPU: ${cpu}. Median of 3 runs for ours, 1 for tiktoken (wasm). ratio = tiktoken ÷ ours.`, '',
  '| text | size | ours (ms) | tiktoken (ms) | ratio | same ids |', '|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.kind} | ${r.bytes >> 10} KiB | ${r.oursMs.toFixed(1)} | ${r.peerMs === null ? 'skipped / trapped' : r.peerMs.toFixed(1)} | ${r.peerMs === null ? '—' : `${(r.peerMs / r.oursMs).toFixed(1)}×`} | ${r.same === null ? '—' : r.same ? 'yes' : 'NO'} |`),
].join('\n');
const dir = join(import.meta.dir, 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, `tokenizer-${stamp}.json`), JSON.stringify({ cpu, rows }, null, 2));
writeFileSync(join(dir, `tokenizer-${stamp}.md`), `${md}\n`);
console.log(md);
