// One llama.cpp measurement process through node-llama-cpp, the same plan as bench/engine-run.ts:
// load once; prefill --prompt ids and decode --gen greedily; for each --depths D, prefill D ids and
// decode --depth-windows windows of --depth-gen tokens (the fastest counts); with --streams N, one
// sequence alone, then N sequences of one context at once (node-llama-cpp batches their
// evaluation, as llama-server -np N does). Prints one JSON line.
// Usage: node bench/peer/llama.mjs --model F.gguf --ids ids.json [--prompt 512] [--gen 32] [--depths 4096] [--depth-gen 128]
//          [--depth-windows 2] [--streams 4] [--stream-prompt 128] [--stream-gen 32] [--threads 2]
import { readFileSync } from 'node:fs';
import { getLlama, LlamaLogLevel } from 'node-llama-cpp';
import { hugePageBytes, peakRss } from '../proc-memory.mjs';

const arg = (n, d) => { const i = process.argv.indexOf(`--${n}`); return i > 0 ? process.argv[i + 1] : d; };
const all = JSON.parse(readFileSync(arg('ids'), 'utf8')).ids;
const promptLen = Number(arg('prompt', '512')), gen = Number(arg('gen', '32')), threads = Number(arg('threads', '2'));
const depths = String(arg('depths', '')).split(',').filter(Boolean).map(Number), depthGen = Number(arg('depth-gen', '128')), depthWindows = Number(arg('depth-windows', '1'));
const streams = Number(arg('streams', '0')), streamPrompt = Number(arg('stream-prompt', '128')), streamGen = Number(arg('stream-gen', '32'));

const t0 = performance.now();
const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath: arg('model'), useMmap: true, gpuLayers: 0 });

/**
 * Prefill `ids` on a sequence and decode greedily `windows` windows of n − 1 tokens after the first:
 * first-token and end times, and each window's end (as bench/measure.ts's timeGeneration).
 */
async function generate(seq, ids, n, windows = 1) {
  let k = 0, tFirst = 0;
  const ends = [];
  const tStart = performance.now();
  for await (const _tok of seq.evaluate(ids, { temperature: 0 })) {
    k++;
    if (k === 1) tFirst = performance.now();
    else if ((k - 1) % (n - 1) === 0) ends.push(performance.now());
    if (k >= 1 + windows * (n - 1)) break;
  }
  return { tStart, tFirst, tEnd: ends[0] ?? performance.now(), ends, n: Math.min(k, n) };
}

async function single(ids, n, windows = 1) {
  const ctx = await model.createContext({ contextSize: ids.length + n * windows + 16, threads, batchSize: Math.min(Math.max(ids.length, 32), 512), flashAttention: false });
  const r = await generate(ctx.getSequence(), ids, n, windows);
  await ctx.dispose();
  const tps = r.ends.map((e, i) => (n - 1) / ((e - (i ? r.ends[i - 1] : r.tFirst)) / 1000));
  return { ttft_s: (r.tFirst - r.tStart) / 1000, prefill_tps: ids.length / ((r.tFirst - r.tStart) / 1000),
    decode_tps: tps.length ? Math.max(...tps) : (r.n - 1) / ((r.tEnd - r.tFirst) / 1000), decode_windows_tps: tps };
}

const ctx0 = await model.createContext({ contextSize: promptLen + gen + 16, threads, batchSize: Math.max(promptLen, 32), flashAttention: false });
const loadS = (performance.now() - t0) / 1000;
const r0 = await generate(ctx0.getSequence(), all.slice(0, promptLen), gen);
await ctx0.dispose();
const depthRuns = [];
for (const d of depths) {
  const r = await single(all.slice(0, d), depthGen, depthWindows);
  depthRuns.push({ depth: d, prefill_tps: r.prefill_tps, decode_tps: r.decode_tps, decode_windows_tps: r.decode_windows_tps });
  console.error(`llama.cpp depth ${d}: prefill ${r.prefill_tps.toFixed(2)} tok/s, decode ${r.decode_tps.toFixed(2)} tok/s`);
}
let multi = null;
if (streams > 0) {
  const one = await single(all.slice(0, streamPrompt), streamGen);
  const ctx = await model.createContext({ contextSize: streams * (streamPrompt + streamGen + 16), sequences: streams, threads, batchSize: 512, flashAttention: false });
  const seqs = Array.from({ length: streams }, () => ctx.getSequence());
  const rs = await Promise.all(seqs.map((s, i) => generate(s, all.slice(i * 7, i * 7 + streamPrompt), streamGen)));
  const tFirst = Math.max(...rs.map((r) => r.tFirst)), tEnd = Math.max(...rs.map((r) => r.tEnd));
  multi = { streams, prompt_tokens: streamPrompt, gen_tokens: streamGen, single_decode_tps: one.decode_tps,
    aggregate_decode_tps: rs.reduce((n, r) => n + r.n - 1, 0) / ((tEnd - tFirst) / 1000) };
  await ctx.dispose();
}
const readText = (p) => readFileSync(p, 'utf8');
console.log(JSON.stringify({
  name: 'llama.cpp (node-llama-cpp 3.21.1)', load_s: loadS, prompt_tokens: promptLen, gen_tokens: r0.n,
  ttft_s: (r0.tFirst - r0.tStart) / 1000, prefill_tps: promptLen / ((r0.tFirst - r0.tStart) / 1000),
  decode_tps: (r0.n - 1) / ((r0.tEnd - r0.tFirst) / 1000), depths: depthRuns, streams: multi, peak_rss_bytes: peakRss(readText),
  huge_page_bytes: hugePageBytes(readText), system: llama.systemInfo ?? null,
}));
await model.dispose(); await llama.dispose();
