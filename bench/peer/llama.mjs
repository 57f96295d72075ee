// One llama.cpp measurement through node-llama-cpp: load the GGUF, evaluate the prompt ids,
// generate greedily, print one JSON line. Run by bench/run.ts with node, in its own process.
// Usage: node bench/peer/llama.mjs --model F.gguf --ids ids.json --gen 32 --threads 2
import { readFileSync } from 'node:fs';
import { getLlama, LlamaLogLevel } from 'node-llama-cpp';

const arg = (n, d) => { const i = process.argv.indexOf(`--${n}`); return i > 0 ? process.argv[i + 1] : d; };
const ids = JSON.parse(readFileSync(arg('ids'), 'utf8')).ids;
const gen = Number(arg('gen', '32')), threads = Number(arg('threads', '2'));

const t0 = performance.now();
const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath: arg('model'), useMmap: true, gpuLayers: 0 });
const ctx = await model.createContext({ contextSize: ids.length + gen + 16, threads, batchSize: Math.max(ids.length, 32), flashAttention: false });
const loadS = (performance.now() - t0) / 1000;
const seq = ctx.getSequence();
let n = 0, tFirst = 0;
const tStart = performance.now();
for await (const _tok of seq.evaluate(ids, { temperature: 0 })) {
  if (!n) tFirst = performance.now();
  if (++n >= gen) break;
}
const tEnd = performance.now();
const rss = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024;
console.log(JSON.stringify({
  name: 'llama.cpp (node-llama-cpp 3.21.1)', load_s: loadS, prompt_tokens: ids.length, gen_tokens: n,
  ttft_s: (tFirst - tStart) / 1000, prefill_tps: ids.length / ((tFirst - tStart) / 1000),
  decode_tps: (n - 1) / ((tEnd - tFirst) / 1000), peak_rss_bytes: rss, system: llama.systemInfo ?? null,
}));
await ctx.dispose(); await model.dispose(); await llama.dispose();
