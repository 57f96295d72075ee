// One oss-edge measurement process (run by bench/run.ts, so peak RSS is ours alone): load once, then
// (1) prefill the first --prompt ids and decode --gen greedily; (2) for each --depths D, prefill D
// ids and decode --depth-windows windows of --depth-gen tokens (decode speed at that depth: the
// fastest window); (3) with --streams N, one stream alone and then N at once (--stream-prompt ids each, --stream-gen tokens, every decode step of all N in
// one forward pass, greedy as the server's scheduler runs it): the aggregate decode speed. Prints one JSON line.
// Usage: bun bench/engine-run.ts --model PATH --ids ids.json [--prompt 512] [--gen 32] [--depths 4096,16384]
//          [--depth-gen 128] [--depth-windows 2] [--streams 4] [--stream-prompt 128] [--stream-gen 32]
//          [--threads 2] [--precision fast] [--dense-q8]
import { readFileSync } from 'node:fs';
import { openEngine } from '../src/boot/open-model.ts';
import { int, parseArgs, str } from '../src/cli/args.ts';
import { argmax } from '../src/backends/argmax.ts';
import { decodeBytesPerToken } from './bytes.ts';
import { hugePageBytes, peakRss, timeGeneration } from './measure.ts';

const a = parseArgs(process.argv.slice(2));
const all: number[] = JSON.parse(readFileSync(str(a, 'ids'), 'utf8')).ids;
const promptLen = int(a, 'prompt', 512), gen = int(a, 'gen', 32), threads = int(a, 'threads', 2);
const depths = str(a, 'depths', '').split(',').filter(Boolean).map(Number);
const depthGen = int(a, 'depth-gen', 128), depthWindows = int(a, 'depth-windows', 1);
const streams = int(a, 'streams', 0), streamPrompt = int(a, 'stream-prompt', 128), streamGen = int(a, 'stream-gen', 32);
const precision = str(a, 'precision', 'fast') as 'exact' | 'fast';
const context = Math.max(promptLen + gen, ...depths.map((d) => d + depthGen * depthWindows), streamPrompt + streamGen) + 1;

const t0 = performance.now();
const { engine } = await openEngine(str(a, 'model'), {
  backend: 'cpu', precision, threads, maxBatch: Math.min(512, Math.max(promptLen, streams)), context, denseQ8: a.flags.get('dense-q8') === true,
});
const loadS = (performance.now() - t0) / 1000;
const t = await timeGeneration(engine, all.slice(0, promptLen), gen);
const atDepth = [];
for (const d of depths) {
  const r = await timeGeneration(engine, all.slice(0, d), depthGen, depthWindows);
  atDepth.push({ depth: d, prefill_tps: r.prefill_tps, decode_tps: r.decode_tps, decode_windows_tps: r.decode_windows_tps });
  console.error(`oss-edge depth ${d}: prefill ${r.prefill_tps.toFixed(2)} tok/s, decode ${r.decode_tps.toFixed(2)} tok/s`);
}
let multi = null;
if (streams > 0) {
  const single = await timeGeneration(engine, all.slice(0, streamPrompt), streamGen);
  const sessions = Array.from({ length: streams }, () => engine.newSession());
  const next: number[] = [];
  for (let i = 0; i < streams; i++) next.push(argmax(await sessions[i].eval(all.slice(i * 7, i * 7 + streamPrompt), 'last')));
  const tStart = performance.now();
  for (let k = 1; k < streamGen; k++) {
    const picked = await engine.stepGreedy(sessions.map((s, i) => ({ session: s, ids: [next[i]] })), engine.config.vocabSize);
    picked.forEach((id, i) => { next[i] = id; });
  }
  const s = (performance.now() - tStart) / 1000;
  multi = { streams, prompt_tokens: streamPrompt, gen_tokens: streamGen, single_decode_tps: single.decode_tps, aggregate_decode_tps: (streams * (streamGen - 1)) / s };
}
console.log(JSON.stringify({
  name: `oss-edge (${engine.backend.describe().name}, ${precision}${a.flags.get('dense-q8') === true ? ', dense Q8_0' : ''})`, load_s: loadS, prompt_tokens: promptLen, gen_tokens: gen,
  ...t, depths: atDepth, streams: multi, peak_rss_bytes: peakRss((p) => readFileSync(p, 'utf8')),
  huge_page_bytes: hugePageBytes((p) => readFileSync(p, 'utf8')),
  weight_bytes: engine.backend.describe().weightBytes, decode_bytes_per_token: decodeBytesPerToken(engine.checkpoint),
  kv_bytes: engine.kvBytes(promptLen + gen + 1),
}));
engine.release();
process.exit(0);
