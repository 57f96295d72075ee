// The CPU benchmark: oss-edge against llama.cpp on the same GGUF, same threads, same prompt ids.
// Each run is its own process (peak RSS is per engine; two 13 GB models never share RAM); runs
// alternate ours/peer. Each run: pp<prompt> + tg<gen>; in the first run also decode at each of
// --depths (tg<depth-gen> after a prefill of that many tokens) and --streams concurrent greedy
// streams (aggregate decode against one stream). Writes bench/results/<stamp>.json + .md + .svg
// (tok/s against context depth, both engines) and latest.md (and latest.svg), unless --no-latest (a
// smoke run, a partial one: latest.* stays the run the README quotes); the last line printed is one JSON object.
// --cold drops the file's pages from the page cache before every run (GNU dd iflag=nocache, which
// needs no privileges), so each load reads the disk: the cold-cache load time.
// Usage: npx bun run bench -- --model PATH [--threads T] [--prompt 512] [--gen 32] [--depths 4096,16384] [--depth-gen 128]
//          [--streams 4] [--vs llama.cpp] [--reps 2] [--precision fast] [--dense-q8] [--cold] [--no-latest]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import { int, parseArgs, str } from '../src/cli/args.ts';
import { loadCheckpoint } from '../src/model/checkpoint.ts';
import { seededRandom } from '../src/generate/rng.ts';
import { decodeBytesPerToken } from './bytes.ts';
import { measureReadBandwidth } from './membw.ts';
import { depthSvg, markdownReport, type RunResult } from './report.ts';

const HERE = import.meta.dir;
const a = parseArgs(process.argv.slice(2));
const model = str(a, 'model');
const threads = int(a, 'threads', availableParallelism());
const promptLen = int(a, 'prompt', 512), gen = int(a, 'gen', 32), reps = int(a, 'reps', 2);
const precision = str(a, 'precision', 'fast');
const depths = str(a, 'depths', '').split(',').filter(Boolean).map(Number), depthGen = int(a, 'depth-gen', 128);
const streams = int(a, 'streams', 0), streamPrompt = 128, streamGen = 32;
const vs = a.flags.get('vs'), cold = a.flags.get('cold') === true, latest = a.flags.get('no-latest') !== true;
if (vs !== undefined && vs !== 'llama.cpp') throw new Error(`--vs supports llama.cpp only, got ${vs}`);

// identical prompt for every engine: ordinary (non-special) ids from a fixed seed
const ck = loadCheckpoint(model);
const V = ck.config.vocabSize, bytesPerToken = decodeBytesPerToken(ck);
ck.close();
const r = seededRandom(1234);
const ids = Array.from({ length: Math.max(promptLen, ...depths, streamPrompt + 7 * streams) }, () => Math.floor(r() * Math.min(V, 199998)));
const idsFile = join(tmpdir(), `oss-edge-bench-ids-${process.pid}.json`);
writeFileSync(idsFile, JSON.stringify({ ids }));

/** Evicts the model file's pages from the page cache (posix_fadvise DONTNEED through dd). */
function dropFileCache(): void {
  const p = spawnSync('dd', [`if=${model}`, 'iflag=nocache', 'count=0'], { encoding: 'utf8' });
  if (p.status !== 0) throw new Error(`--cold: dd iflag=nocache failed (${p.status}): ${p.stderr}`);
}

function once(cmd: string, args: string[]): RunResult {
  if (cold) dropFileCache();
  const p = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = p.stdout.trim().split('\n').at(-1) ?? '';
  if (p.status !== 0 || !line.startsWith('{')) throw new Error(`${cmd} ${args.join(' ')} failed (${p.status}):\n${p.stderr.slice(-2000)}`);
  return JSON.parse(line);
}

function ensurePeer(): void {
  if (existsSync(join(HERE, 'peer', 'node_modules', 'node-llama-cpp'))) return;
  console.error('installing node-llama-cpp 3.21.1 into bench/peer (once, ~700 MB)…');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: join(HERE, 'peer'), stdio: 'inherit' });
}

const bw = await measureReadBandwidth(threads);
console.error(`memory read bandwidth (wasm, ${threads} threads): ${(bw / 1e9).toFixed(1)} GB/s`);
if (vs) ensurePeer();
const ours: RunResult[] = [], peer: RunResult[] = [];
for (let i = 0; i < reps; i++) {
  const plan = ['--ids', idsFile, '--prompt', String(promptLen), '--gen', String(gen), '--threads', String(threads),
    // the depth runs (a prefill of minutes each) once, in run 1, best of two decode windows; the
    // streams (seconds) in every run, best of the runs as for pp and tg
    ...(i === 0 && depths.length ? ['--depths', depths.join(','), '--depth-gen', String(depthGen), '--depth-windows', '2'] : []),
    ...(streams ? ['--streams', String(streams), '--stream-prompt', String(streamPrompt), '--stream-gen', String(streamGen)] : [])];
  ours.push(once(process.execPath, [join(HERE, 'engine-run.ts'), '--model', model, ...plan, '--precision', precision, ...(a.flags.get('dense-q8') === true ? ['--dense-q8'] : [])]));
  console.error(`oss-edge run ${i + 1}: prefill ${ours.at(-1)!.prefill_tps.toFixed(2)} tok/s, decode ${ours.at(-1)!.decode_tps.toFixed(2)} tok/s`);
  if (vs) {
    peer.push(once('node', [join(HERE, 'peer', 'llama.mjs'), '--model', model, ...plan]));
    console.error(`llama.cpp run ${i + 1}: prefill ${peer.at(-1)!.prefill_tps.toFixed(2)} tok/s, decode ${peer.at(-1)!.decode_tps.toFixed(2)} tok/s`);
  }
}
// Best of the runs; load time too. Peak RSS is of the runs without the depth sessions (run 1 also
// holds their caches when there are any; that peak is reported apart).
const best = (rs: RunResult[]) => rs.reduce((b, x) => ({ ...b, prefill_tps: Math.max(b.prefill_tps, x.prefill_tps), decode_tps: Math.max(b.decode_tps, x.decode_tps),
  ttft_s: Math.min(b.ttft_s, x.ttft_s), load_s: Math.min(b.load_s, x.load_s) }));
const plainPeak = (rs: RunResult[]) => Math.max(...(rs.length > 1 && depths.length ? rs.slice(1) : rs).map((r) => r.peak_rss_bytes));
/** The streams figures, each the best of the runs. */
const bestStreams = (rs: RunResult[]) => {
  const ms = rs.flatMap((r) => (r.streams ? [r.streams] : []));
  return ms.length ? { ...ms[0], single_decode_tps: Math.max(...ms.map((m) => m.single_decode_tps)), aggregate_decode_tps: Math.max(...ms.map((m) => m.aggregate_decode_tps)) } : null;
};
const allPeak = (rs: RunResult[]) => Math.max(...rs.map((r) => r.peak_rss_bytes));
const o = best(ours), p = vs ? best(peer) : null;
const summary = {
  date: new Date().toISOString(), model: basename(model), threads, prompt_tokens: promptLen, gen_tokens: gen, depth_gen_tokens: depthGen, precision, cold,
  machine: `${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
  mem_bw_gbs: bw / 1e9, decode_bytes_per_token: bytesPerToken,
  load_s: o.load_s, prefill_tps: o.prefill_tps, decode_tps: o.decode_tps, ttft_s: o.ttft_s, peak_rss_bytes: plainPeak(ours), peak_rss_all_bytes: allPeak(ours),
  depths: ours[0].depths ?? [], streams: bestStreams(ours),
  weight_bytes: o.weight_bytes, kv_bytes: o.kv_bytes, huge_page_bytes: ours[0].huge_page_bytes, bandwidth_share: (o.decode_tps * bytesPerToken) / bw,
  runs: { ours, peer },
  ...(p ? { peer: { name: p.name, prefill_tps: p.prefill_tps, decode_tps: p.decode_tps, load_s: p.load_s, peak_rss_bytes: plainPeak(peer), peak_rss_all_bytes: allPeak(peer), huge_page_bytes: peer[0].huge_page_bytes,
    depths: peer[0].depths ?? [], streams: bestStreams(peer) },
    ratio: { prefill: o.prefill_tps / p.prefill_tps, decode: o.decode_tps / p.decode_tps } } : {}),
};
const out = join(HERE, 'results');
mkdirSync(out, { recursive: true });
const stamp = summary.date.replace(/[:.]/g, '-');
const md = markdownReport(summary);
writeFileSync(join(out, `${stamp}.json`), JSON.stringify(summary, null, 2) + '\n');
writeFileSync(join(out, `${stamp}.md`), md);
if (latest) writeFileSync(join(out, 'latest.md'), md);
if (summary.depths.length) {
  writeFileSync(join(out, `${stamp}.svg`), depthSvg(summary));
  if (latest) writeFileSync(join(out, 'latest.svg'), depthSvg(summary));
}
console.log(md);
console.log(JSON.stringify({ prefill_tps: summary.prefill_tps, decode_tps: summary.decode_tps, ...(summary.peer ? { peer: { name: summary.peer.name, prefill_tps: summary.peer.prefill_tps, decode_tps: summary.peer.decode_tps } } : {}) }));
