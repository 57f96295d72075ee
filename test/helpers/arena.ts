// Test scaffolding: a small arena and bump-allocated typed views for calling kernels directly.
import { Arena } from '../../src/backends/cpu/arena.ts';

export class Scratch {
  readonly a = new Arena(0, 16 << 20, 1 << 30);
  get k() { return this.a.k; }
  f32(data: ArrayLike<number> | number): { ptr: number; get: () => Float32Array } {
    const n = typeof data === 'number' ? data : data.length;
    const ptr = this.a.alloc(n * 4);
    if (typeof data !== 'number') this.a.f32.set(data, ptr / 4);
    return { ptr, get: () => this.a.f32.slice(ptr / 4, ptr / 4 + n) };
  }
  u8(data: Uint8Array | number): { ptr: number; get: () => Uint8Array } {
    const n = typeof data === 'number' ? data : data.length;
    const ptr = this.a.alloc(n);
    if (typeof data !== 'number') this.a.u8.set(data, ptr);
    return { ptr, get: () => this.a.u8.slice(ptr, ptr + n) };
  }
}

/** Deterministic PRNG (mulberry32) so failures reproduce. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
