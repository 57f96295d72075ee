// The corrupted-checkpoint suite's vocabulary: a source checkpoint (files in a folder), a damage
// case (files replaced or removed, and what is allowed to come of it), and the seeded choices.
import { seededRandom } from '../../src/generate/rng.ts';

/**
 * What a case may end in:
 *   error      a ModelLoadError naming the file (and `names`)
 *   identical  loads, and its logits are bit for bit the undamaged model's
 *   changed    loads with other (finite) logits
 * `allowed` per expectation:
 *   'error'             only an error: a value the engine uses was damaged
 *   'error|identical'   damage to something the engine does not use may load
 *   'value'             damage inside a config value: also an in-range change, which must show as a
 *                       config that differs from the undamaged one (it is a different, valid model)
 *   'raw'               a flip inside tensor data, which no format can detect: anything but a crash
 *   'lie'               a consistent lie (header and data agree; the values are other values, e.g.
 *                       BF16 read as F16, or two same-size tensors trading places): anything but a crash
 */
export type Expect = 'error' | 'error|identical' | 'value' | 'raw' | 'lie';

export interface Source {
  name: string;
  /** File name → bytes, written into each case's folder. */
  files: Map<string, Uint8Array>;
  /** What to load: a file name in the folder, or '' for the folder itself. */
  entry: string;
}

export interface Case {
  /** Report class, e.g. "gguf: tensor type lie". */
  cls: string;
  what: string;
  expect: Expect;
  /** Strings or patterns the error message must contain besides the file. */
  names?: (string | RegExp)[];
  /** Files replaced (bytes or text) or, when null, removed. */
  files: Record<string, Uint8Array | string | null>;
}

/** How many cases of the numerous kinds a source gets (the goldens' second model gets fewer). */
export interface Amount { cuts: number; flips: number; roles: number; dataFlips: number }
export const FULL: Amount = { cuts: 14, flips: 36, roles: 8, dataFlips: 12 };
export const LIGHT: Amount = { cuts: 6, flips: 16, roles: 3, dataFlips: 6 };

export const enc = new TextEncoder();

export function rng(seed: number) {
  const r = seededRandom(seed);
  return {
    next: r,
    int: (n: number) => Math.floor(r() * n),
    pick: <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)],
    /** A byte value other than `old`. */
    byteNot: (old: number) => (old + 1 + Math.floor(r() * 255)) & 0xff,
  };
}

export function patched(b: Uint8Array, at: number, bytes: ArrayLike<number>): Uint8Array {
  const c = b.slice();
  c.set(bytes as number[], at);
  return c;
}

export function f32le(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, v, true);
  return b;
}

/** Evenly spread cut points over [0, n), plus the given ones. */
export function cuts(n: number, count: number, extra: number[]): number[] {
  const s = new Set(extra.filter((c) => c >= 0 && c < n));
  for (let i = 0; i < count; i++) s.add(Math.floor((n * i) / count));
  return [...s].sort((a, b) => a - b);
}
