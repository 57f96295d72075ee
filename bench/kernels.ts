// Kernel throughput: GB/s of weight bytes for each matmul kernel and each kernel variant this
// runtime can compile (src/backends/cpu/kernels.ts VARIANTS), hot (one matrix, cache-resident)
// and cold (a sweep over ~1 GiB of distinct matrices, the decode case), on 1 and 2 threads, with
// the share of the read bandwidth bench/membw.ts measures. Best of --reps windows; variants
// alternate inside each rep so load from elsewhere hits them alike.
// With --batch B (≥ 2) each call multiplies B tokens through the batched kernels (prefill and
// several streams' decode steps): GB/s is still of weights read, the per-token rate is B× it.
// Usage: npx bun bench/kernels.ts [--threads 1,2] [--rows 5760] [--cols 2880] [--reps 5] [--batch 1]
//          [--window-ms 300] [--kernels mxfp4:fast,q8_0:fast] [--variants baseline,relaxed]
//        npx deno run -A bench/kernels.ts …
import { execFileSync } from 'node:child_process';
import { Arena } from '../src/backends/cpu/arena.ts';
import { Pool } from '../src/backends/cpu/pool.ts';
import { instantiate, buildModule } from '../src/backends/cpu/module.ts';
import { actRowBytes, batchedScratch, matmulKernel, VARIANTS } from '../src/backends/cpu/kernels.ts';
import { activeVariant, availableVariants } from '../src/backends/cpu/variants.ts';
import { rowBytes, type Format } from '../src/model/formats.ts';
import { GROUP_ROWS, REPACK_KERNEL, repackScratch, type Layout } from '../src/backends/cpu/repack.ts';
import { int, parseArgs, str } from '../src/cli/args.ts';
import { measureReadBandwidth } from './membw.ts';

const a = parseArgs(process.argv.slice(2));
const rows = int(a, 'rows', 5760), cols = int(a, 'cols', 2880), reps = int(a, 'reps', 5), windowMs = int(a, 'window-ms', 300);
const threads = str(a, 'threads', '1,2').split(',').map(Number);
const which = str(a, 'kernels', 'mxfp4:fast,q8_0:fast').split(',');
const variants = str(a, 'variants', availableVariants().join(',')).split(',');
const coldBytes = int(a, 'cold-mib', 1024) << 20, batch = int(a, 'batch', 1);

function cpuModel(): string {
  try { return /Model name:\s*(.+)/.exec(execFileSync('lscpu', { encoding: 'utf8' }))?.[1].trim() ?? '?'; } catch { return '?'; }
}
const g = globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string } } };
const runtime = g.Bun ? `Bun ${g.Bun.version}` : g.Deno ? `Deno ${g.Deno.version.deno}` : `Node ${process.version}`;
console.log(`${runtime}, ${cpuModel()}; ${rows}x${cols}${batch > 1 ? `, ${batch} tokens per call (batched kernels)` : ''}; auto picks ${activeVariant().name} ${JSON.stringify(activeVariant().timings)}`);

const bw = new Map<number, number>();
for (const T of threads) bw.set(T, await measureReadBandwidth(T));
console.log(`read bandwidth: ${threads.map((T) => `${T}T ${(bw.get(T)! / 1e9).toFixed(1)} GB/s`).join(', ')}`);

/**
 * Random codes with realistic block scales (E8M0 118…127, f16 scales near 2^-7) and float weights
 * near 2^-7: scales of 0 or garbage would put subnormals or NaNs into the float steps and time the
 * CPU's slow paths instead.
 * Matrices go through the load-time repack to the kernel's layout, as in the backend.
 */
function fillWeights(arena: Arena, format: Format, layout: Layout, w0: number, copies: number, mb: number): void {
  const u32 = new Uint32Array(arena.memory.buffer, w0, (copies * mb) >> 2);
  // float formats: random sign and mantissa, exponents near 2^-7 (no subnormals, NaNs or infinities)
  const keep = { f32: [0x807fffff, 0x3c000000], bf16: [0x807f807f, 0x3c003c00], f16: [0x83ff83ff, 0x20002000] }[format as 'f32'] ?? [~0, 0];
  let s = 0x9e3779b9;
  for (let i = 0; i < u32.length; i++) { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; u32[i] = (s & keep[0]) | keep[1]; }
  const u8 = arena.u8, rb = rowBytes(format, cols), nb = cols / 32;
  for (let c = 0; c < copies; c++) for (let r = 0; r < rows; r++) for (let g = 0; g < nb; g++) {
    const o = w0 + c * mb + r * rb;
    if (format === 'mxfp4') u8[o + 17 * g] = 118 + ((r + g) % 10);
    if (format === 'q8_0') { u8[o + 34 * g] = (r * 7 + g) & 255; u8[o + 34 * g + 1] = 0x20; }
  }
  const repack = REPACK_KERNEL[layout];
  if (repack) {
    const tmp = arena.alloc(repackScratch(layout, rows, cols));
    for (let c = 0; c < copies; c++) arena.k[repack](w0 + c * mb, rows, cols, tmp);
  }
}

/** The arena's memory seen through another build's instance (what Pool needs of an Arena). */
function view(arena: Arena, variant: string): Arena {
  const module = buildModule(VARIANTS[variant].build)!;
  return { index: arena.index, memory: arena.memory, module, k: instantiate(arena.memory, module) } as unknown as Arena;
}

for (const spec of which) {
  const [format, precision] = spec.split(':') as [Format, 'exact' | 'fast'];
  // one variant per distinct kernel: a variant that swaps nothing for this format runs baseline's
  const kerns = variants.map((v) => ({ v, k: matmulKernel(format, precision, v) }))
    .filter(({ k }, i, all) => all.findIndex((o) => o.k.name === k.name) === i);
  const layout = kerns[0].k.layout;
  if (rows % GROUP_ROWS[layout]) throw new Error(`--rows must be a multiple of ${GROUP_ROWS[layout]} for ${format}`);
  const mb = rowBytes(format, cols) * rows;
  const copies = Math.max(1, Math.floor(coldBytes / mb));
  const arena = new Arena(1, copies * mb + (1 << 24) + 8 * mb / 17);
  const w0 = arena.alloc(copies * mb), u8 = arena.u8;
  fillWeights(arena, format, layout, w0, copies, mb);
  const x = arena.alloc(actRowBytes(kerns[0].k.act, cols) * batch), y = arena.alloc(rows * 4 * batch), xf = arena.alloc(cols * 4 * batch);
  for (let i = 0; i < cols * batch; i++) arena.f32[xf / 4 + i] = Math.sin(i * 0.37);
  if (kerns[0].k.act === 'q8') arena.k.quantize_q8(xf, x, cols, batch); else arena.u8.copyWithin(x, xf, xf + cols * 4 * batch);
  const stride = Math.ceil(batchedScratch(cols, batch, arena.k.Q8_PASS.value) / 64) * 64, scratch = arena.alloc(stride * Math.max(...threads));
  for (const T of threads) {
    const runs = await Promise.all(kerns.map(async ({ v, k }) => {
      const pool = new Pool(T);
      const a = view(arena, v);
      await pool.attach([a, a]); // workers instantiate arenas[0].module: the variant's build
      return { v, k, pool, hot: 0, cold: 0 };
    }));
    const rate = (run: (typeof runs)[number], cold: boolean) => {
      // a kernel without a batched form (Q8_0's sign kernel) takes the tokens itself, as the backend runs it
      const go = (c: number) => batch > 1 && run.k.batched
        ? run.pool.run(1, run.k.batched, [w0 + c * mb, x, y, cols, rows, batch, scratch], rows, { arg: 6, stride }, run.k.rows)
        : run.pool.run(1, run.k.name, [w0 + c * mb, x, y, cols, rows, batch], rows, undefined, run.k.rows);
      for (let i = 0; i < 3; i++) go(0);
      const t = performance.now();
      let n = 0;
      while (performance.now() - t < windowMs) go(cold ? n++ % copies : (n++, 0));
      return (n * mb) / ((performance.now() - t) / 1000) / 1e9;
    };
    for (let r = 0; r < reps; r++) for (const run of runs) {
      run.hot = Math.max(run.hot, rate(run, false));
      run.cold = Math.max(run.cold, rate(run, true));
    }
    for (const run of runs) {
      const pct = ((run.cold * 1e9) / bw.get(T)! * 100).toFixed(0);
      const perToken = batch > 1 ? ` (× ${batch} tokens: hot ${(run.hot * batch).toFixed(2)}, cold ${(run.cold * batch).toFixed(2)})` : '';
      console.log(`${`${format}:${precision}`.padEnd(12)} ${run.v.padEnd(9)} ${(batch > 1 ? run.k.batched ?? run.k.name : run.k.name).padEnd(24)} ${T}T: hot ${run.hot.toFixed(2)} GB/s, cold ${run.cold.toFixed(2)} GB/s = ${pct}% of bandwidth${perToken}`);
      run.pool.close();
    }
  }
}
