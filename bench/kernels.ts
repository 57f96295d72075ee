// Kernel throughput: GB/s of weight bytes for each matmul kernel, hot (one matrix, cache-resident)
// and cold (a sweep over ~1 GiB of distinct matrices), on 1..T threads.
// Usage: npx bun bench/kernels.ts [--threads 2] [--rows 5760] [--cols 2880] [--kernels mxfp4_q8,q8_0_q8]
import { Arena } from '../src/backends/cpu/arena.ts';
import { Pool } from '../src/backends/cpu/pool.ts';
import { actRowBytes, MATMUL } from '../src/backends/cpu/kernels.ts';
import { rowBytes, type Format } from '../src/model/formats.ts';
import { int, parseArgs, str } from '../src/cli/args.ts';

const a = parseArgs(process.argv.slice(2));
const rows = int(a, 'rows', 5760), cols = int(a, 'cols', 2880), T = int(a, 'threads', 2);
const which = str(a, 'kernels', 'mxfp4:fast,q8_0:fast,bf16:exact,mxfp4:exact').split(',');
const coldBytes = int(a, 'cold-mib', 1024) << 20;

for (const spec of which) {
  const [format, precision] = spec.split(':') as [Format, 'exact' | 'fast'];
  const k = MATMUL[format][precision];
  const mb = rowBytes(format, cols) * rows;
  const copies = Math.max(1, Math.floor(coldBytes / mb));
  const arena = new Arena(1, copies * mb + (1 << 24));
  const w0 = arena.alloc(copies * mb);
  const u8 = arena.u8;
  for (let i = 0; i < copies * mb; i += 4096) u8[w0 + i] = (i * 2654435761) >>> 24; // touch every page
  for (let c = 0; c < copies; c++) for (let r = 0; r < rows; r++) if (format === 'mxfp4') for (let g = 0; g < cols / 32; g++) u8[w0 + c * mb + r * rowBytes(format, cols) + g * 17] = 120;
  const x = arena.alloc(actRowBytes(k.act, cols)), y = arena.alloc(rows * 4);
  const pool = new Pool(T);
  await pool.attach([arena, arena]);
  const run = (c: number) => pool.run(1, k.name, [w0 + c * mb, x, y, cols, rows, 1], rows);
  for (let i = 0; i < 5; i++) run(0);
  let t = performance.now(), n = 0;
  while (performance.now() - t < 1000) { run(0); n++; }
  const hot = (n * mb) / ((performance.now() - t) / 1000) / 1e9;
  t = performance.now(); n = 0;
  while (performance.now() - t < 1500) { run(n % copies); n++; }
  const cold = (n * mb) / ((performance.now() - t) / 1000) / 1e9;
  console.log(`${k.name.padEnd(18)} ${rows}x${cols} threads ${T}: hot ${hot.toFixed(2)} GB/s, cold ${cold.toFixed(2)} GB/s (${copies} copies)`);
  pool.close();
}
