// Memory read bandwidth as wasm sees it: T threads stream a 1 GiB shared memory with v128 loads
// (assembly/common.ts read_lines). The bound a decode step cannot beat on this machine.
import { Arena } from '../src/backends/cpu/arena.ts';
import { Pool } from '../src/backends/cpu/pool.ts';

export async function measureReadBandwidth(threads: number, bytes = 1 << 30): Promise<number> {
  const arena = new Arena(1, bytes + (1 << 20));
  const p = arena.alloc(bytes);
  const u8 = arena.u8;
  for (let i = 0; i < bytes; i += 4096) u8[p + i] = i & 255; // fault every page in first
  const pool = new Pool(threads);
  await pool.attach([arena, arena]);
  const lines = bytes / 64;
  let best = 0;
  for (let rep = 0; rep < 5; rep++) {
    const t = performance.now();
    pool.run(1, 'read_lines', [p, 0], lines, undefined, 1024);
    best = Math.max(best, bytes / ((performance.now() - t) / 1000));
  }
  pool.close();
  return best;
}

if (import.meta.main) {
  const t = Number(process.argv[2] ?? 2);
  console.log(`${t} thread(s): ${(await measureReadBandwidth(t) / 1e9).toFixed(1)} GB/s`);
}
