// Test scaffolding: a small arena and bump-allocated typed views for calling kernels directly.
import { Arena } from '../../src/backends/cpu/arena.ts';

export class Scratch {
  readonly a: Arena;
  /** `module`: a kernel build other than the process's variant (kernels-variants.test.ts). */
  constructor(module?: WebAssembly.Module) { this.a = new Arena(0, 16 << 20, 1 << 30, module); }
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

/** Deterministic PRNG (the sampler's, src/generate/rng.ts) so failures reproduce. */
export { seededRandom as rng } from '../../src/generate/rng.ts';

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
