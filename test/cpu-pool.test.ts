// The CPU pool's work split: chunks taken from a shared counter cover a job's rows exactly once,
// on the kernel's row alignment, and a product split over threads equals the one-thread product.
import { describe, expect, test } from 'bun:test';
import { Arena } from '../src/backends/cpu/arena.ts';
import { CHUNK, JOBS, NEXT, Pool, chunkRows, takeChunks } from '../src/backends/cpu/pool.ts';
import { rng } from './helpers/arena.ts';

/** Random f32 weights [nOut, nIn] and activations in a fresh arena, y1 their one-thread product, y2 a place for another. */
function product(seed: number, nIn: number, nOut: number) {
  const a = new Arena(1, 16 << 20), rand = rng(seed);
  const w = a.alloc(nIn * nOut * 4), x = a.alloc(nIn * 4), y1 = a.alloc(nOut * 4), y2 = a.alloc(nOut * 4);
  for (let i = 0; i < nIn * nOut; i++) a.f32[w / 4 + i] = rand() - 0.5;
  for (let i = 0; i < nIn; i++) a.f32[x / 4 + i] = rand() - 0.5;
  a.k.matmul_f32_f32(w, x, y1, nIn, nOut, 1, 0, nOut);
  return { a, w, x, y1, y2 };
}

describe('cpu pool', () => {
  test('chunks cover [0, n) once, start on multiples of align, however the threads interleave', () => {
    const rand = rng(3);
    for (const [n, align, T] of [[1, 1, 2], [7, 4, 2], [8, 8, 2], [13, 4, 3], [5760, 8, 2], [2880, 4, 4], [201088, 4, 2], [9, 1, 16]]) {
      const ctl = new Int32Array(64);
      ctl[CHUNK] = chunkRows(n, T, align);
      expect(ctl[CHUNK] % align).toBe(0);
      const seen = new Uint8Array(n);
      // T takers in random turns: each turn takes one chunk (takeChunks stops a taker by throwing)
      const takers = Array.from({ length: T }, () => 0);
      let left = true;
      while (left) {
        const t = Math.floor(rand() * T);
        left = false;
        try {
          takeChunks(ctl, n, (r0, r1) => {
            expect(r0 % align).toBe(0);
            for (let r = r0; r < r1; r++) seen[r]++;
            takers[t]++;
            left = true;
            throw 'turn over';
          });
        } catch (e) { if (e !== 'turn over') throw e; }
      }
      expect(seen.every((c) => c === 1)).toBe(true);
      expect(ctl[NEXT]).toBeGreaterThan(Math.ceil(n / ctl[CHUNK]) - 1);
    }
  });

  test('a product split over 2 threads in chunks equals the one-thread product, bit for bit', async () => {
    const { a, w, x, y1, y2 } = product(4, 96, 1000), nIn = 96, nOut = 1000;
    const pool = new Pool(2);
    await pool.attach([a, a]);
    try {
      pool.run(1, 'matmul_f32_f32', [w, x, y2, nIn, nOut, 1], nOut, undefined, 4);
    } finally { pool.close(); }
    expect(Buffer.compare(a.u8.subarray(y1, y1 + nOut * 4), a.u8.subarray(y2, y2 + nOut * 4))).toBe(0);
  });

  test('a pool of 64 threads (the most `threads` allows) computes the one-thread product', async () => {
    // each worker announces its sleep in the control block (SLEEP + id): 64 of them must fit it
    const { a, w, x, y1, y2 } = product(6, 32, 4096), nIn = 32, nOut = 4096;
    const pool = new Pool(64);
    await pool.attach([a, a]);
    try {
      // twice: the second dispatch finds the workers that went to sleep after the first
      for (let i = 0; i < 2; i++) {
        a.f32.fill(Number.NaN, y2 / 4, y2 / 4 + nOut);
        pool.run(1, 'matmul_f32_f32', [w, x, y2, nIn, nOut, 1], nOut, undefined, 4);
        expect(Buffer.compare(a.u8.subarray(y1, y1 + nOut * 4), a.u8.subarray(y2, y2 + nOut * 4))).toBe(0);
        await new Promise((r) => setTimeout(r, 300));
      }
    } finally { pool.close(); }
  });

  test('several jobs in one dispatch (runJobs: a layer\'s experts) = each on one thread, bit for bit', async () => {
    const a = new Arena(1, 16 << 20), rand = rng(5);
    const nIn = 64, nOut = 333, J = 5;
    const ws = Array.from({ length: J }, () => a.alloc(nIn * nOut * 4)), xs = Array.from({ length: J }, () => a.alloc(nIn * 4));
    const y1 = Array.from({ length: J }, () => a.alloc(nOut * 4)), y2 = Array.from({ length: J }, () => a.alloc(nOut * 4));
    for (let j = 0; j < J; j++) {
      for (let i = 0; i < nIn * nOut; i++) a.f32[ws[j] / 4 + i] = rand() - 0.5;
      for (let i = 0; i < nIn; i++) a.f32[xs[j] / 4 + i] = rand() - 0.5;
      a.f32.fill(Number.NaN, y2[j] / 4, y2[j] / 4 + nOut); // a row no job wrote stays NaN and fails
      a.k.matmul_f32_f32(ws[j], xs[j], y1[j], nIn, nOut, 1, 0, nOut);
    }
    const pool = new Pool(2);
    await pool.attach([a, a]);
    try {
      pool.runJobs(1, 'matmul_f32_f32', ws.map((w, j) => [w, xs[j], y2[j], nIn, nOut, 1]), nOut, undefined, 4);
    } finally { pool.close(); }
    for (let j = 0; j < J; j++) expect(Buffer.compare(a.u8.subarray(y1[j], y1[j] + nOut * 4), a.u8.subarray(y2[j], y2[j] + nOut * 4))).toBe(0);
  });

  test('chunks of several jobs cover each job\'s rows once', () => {
    for (const [n, align, T, J] of [[333, 4, 2, 5], [5760, 8, 2, 4], [7, 4, 2, 3], [2880, 8, 4, 32]]) {
      const ctl = new Int32Array(64);
      ctl[CHUNK] = chunkRows(n * J, T, align);
      ctl[JOBS] = J;
      const seen = new Uint8Array(n * J);
      takeChunks(ctl, n, (r0, r1, j) => { for (let r = r0; r < r1; r++) seen[j * n + r]++; });
      expect(seen.every((c) => c === 1)).toBe(true);
    }
  });
});
