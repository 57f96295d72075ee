// One oss-edge measurement (run by bench/run.ts in its own process, so peak RSS is ours alone):
// load, prefill the prompt ids, decode greedily, print one JSON line.
// Usage: bun bench/engine-run.ts --model PATH --ids ids.json --gen 32 --threads 2 [--precision fast] [--batch 512]
import { readFileSync } from 'node:fs';
import { openEngine } from '../src/boot/open-model.ts';
import { int, parseArgs, str } from '../src/cli/args.ts';
import { decodeBytesPerToken } from './bytes.ts';
import { peakRss, timeGeneration } from './measure.ts';

const a = parseArgs(process.argv.slice(2));
const ids: number[] = JSON.parse(readFileSync(str(a, 'ids'), 'utf8')).ids;
const gen = int(a, 'gen', 32), threads = int(a, 'threads', 2);
const precision = str(a, 'precision', 'fast') as 'exact' | 'fast';

const t0 = performance.now();
const { engine: model } = await openEngine(str(a, 'model'), { backend: 'cpu', precision, threads, maxBatch: int(a, 'batch', Math.min(512, ids.length)), context: ids.length + gen + 1, denseQ8: a.flags.get('dense-q8') === true });
const loadS = (performance.now() - t0) / 1000;
const t = await timeGeneration(model, ids, gen);
console.log(JSON.stringify({
  name: `oss-edge (${model.backend.describe().name}, ${precision}${a.flags.get('dense-q8') === true ? ', dense Q8_0' : ''})`, load_s: loadS, prompt_tokens: ids.length, gen_tokens: gen,
  ...t, peak_rss_bytes: peakRss((p) => readFileSync(p, 'utf8')),
  weight_bytes: model.backend.describe().weightBytes, decode_bytes_per_token: decodeBytesPerToken(model.checkpoint),
  kv_bytes: model.kvBytes(ids.length + gen + 1),
}));
model.release();
process.exit(0);
