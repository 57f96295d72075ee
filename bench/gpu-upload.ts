// Weight upload speed of the WebGPU backend (issue 12: ≥ 1.5 GB/s of weight bytes): loads a
// checkpoint into an in-process WebGPU backend (run it under Deno) and prints one JSON line with
// bytes/s and where the time went: reading the file (each record's fill(), wrapped here) and what
// the backend reports about its own phases (describe().upload).
// Usage: deno run -A bench/gpu-upload.ts --model PATH [--precision fast] [--dense-q8] [--warm]
//   --warm    read the file once first (cat > /dev/null) so the page cache holds it
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import process from 'node:process';
import type { Checkpoint, WeightRecord } from '../src/model/types.ts';
import { loadCheckpoint } from '../src/model/checkpoint.ts';
import { uploadWeights } from '../src/engine/upload.ts';
import { engineOptions } from '../src/backends/options.ts';
import { probeLocal } from '../src/backends/webgpu/local.ts';
import { parseArgs, str } from '../src/cli/args.ts';
import { setUploadClock } from '../src/backends/webgpu/weight-upload.ts';

const a = parseArgs(process.argv.slice(2));
const model = str(a, 'model');
if (a.flags.has('warm')) spawnSync('sh', ['-c', `cat "${model}"/* "${model}" > /dev/null 2>&1`]);

/** The checkpoint with every record's fill() timed (the file side of the upload). */
function timedFills(ck: Checkpoint): { fillMs: () => number } {
  let ms = 0;
  for (const [k, r] of ck.tensors) {
    const timed: WeightRecord = {
      ...r,
      fill(dst, progress) { const t = performance.now(); try { r.fill(dst, progress); } finally { ms += performance.now() - t; } },
    };
    if (r.fillRows) timed.fillRows = (dst, r0, r1) => { const t = performance.now(); try { r.fillRows!(dst, r0, r1); } finally { ms += performance.now() - t; } };
    ck.tensors.set(k, timed);
  }
  return { fillMs: () => ms };
}

/** CPU seconds of this process's threads (Linux): the main (JS) thread and the rest (the driver's: lavapipe runs the GPU's work there). */
function threadCpu(): { main: number; others: number } {
  const tick = 100; // USER_HZ
  let main = 0, others = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const f = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
      const s = (Number(f[11]) + Number(f[12])) / tick; // utime, stime (fields 14, 15)
      if (Number(tid) === process.pid) main += s; else others += s;
    } catch { /* the thread ended */ }
  }
  return { main, others };
}

// --cpu-clock: the backend's step timings in CPU time of the JS thread (clock_gettime through
// Deno's FFI), not wall time: on a loaded machine wall time mostly measures the wait for a core.
declare const Deno: { dlopen(p: string, s: Record<string, unknown>): { symbols: Record<string, (...a: unknown[]) => number> } };
if (a.flags.has('cpu-clock')) {
  const libc = Deno.dlopen('libc.so.6', { clock_gettime: { parameters: ['i32', 'buffer'], result: 'i32' } });
  const ts = new BigInt64Array(2);
  setUploadClock(() => { libc.symbols.clock_gettime(3 /* CLOCK_THREAD_CPUTIME_ID */, ts); return Number(ts[0]) * 1e3 + Number(ts[1]) / 1e6; });
}

const probe = await probeLocal();
if (!probe.adapters.length) throw new Error(`no WebGPU adapter: ${probe.why}`);
const make = await probe.open(0);
const ck = loadCheckpoint(model);
const fills = timedFills(ck);
const be = make(engineOptions({ backend: 'webgpu', precision: str(a, 'precision', 'fast') as 'fast', denseQ8: a.flags.get('dense-q8') === true }));
const c0 = threadCpu(), t0 = performance.now();
await uploadWeights(be, ck);
await be.read(be.buffer(1, 1), 1); // everything submitted has run
const s = (performance.now() - t0) / 1000;
const c1 = threadCpu();
const d = be.describe();
console.log(JSON.stringify({
  model, adapter: probe.adapters[0].description, cpu: `${cpus()[0]?.model} ×${cpus().length}`,
  bytes: ck.totalBytes, seconds: s, mb_per_s: ck.totalBytes / s / 1e6, fill_s: fills.fillMs() / 1000,
  cpu_main_s: c1.main - c0.main, cpu_other_threads_s: c1.others - c0.others, backend: d.upload ?? null,
}));
be.release();
ck.close();
process.exit(0);
