// Weights no checkpoint holds: NaN, infinity, and magnitudes of 2^64 and more (trained weights are
// a few units at most; a flipped high exponent bit gives ~2^120, which overflows the first
// activations it touches). Any of them is damage. Checked on every chunk as it lands, in one pass
// over bytes already in cache: a word is tested two bf16/f16 values at a time by an add that
// carries into the lane's top bit exactly when its exponent field is at or above the limit; only
// a hit is located value by value.
import type { Format } from './formats.ts';

/** Stored weights and block scales must stay below 2^LIMIT_EXP. */
export const LIMIT_EXP = 64;
/** Smallest E8M0 scale byte refused: 2^(e − 127) ≥ 2^LIMIT_EXP (255, NaN, included; spec §3.2). */
export const MXFP4_SCALE_LIMIT = 127 + LIMIT_EXP;

/** The first bad value (or block) in a chunk: its index there, and what it is. */
export interface BadValue { index: number; what: string }

interface Float { bytes: 2 | 4; expMask: number; expShift: number; mantMask: number; bias: number; exps: number }
const F32: Float = { bytes: 4, expMask: 0xff, expShift: 23, mantMask: 0x7fffff, bias: 127, exps: 255 };
const BF16: Float = { bytes: 2, expMask: 0xff, expShift: 7, mantMask: 0x7f, bias: 127, exps: 255 };
// f16 tops out at 65504: only its all-ones exponent (infinity, NaN) is out of bounds.
const F16: Float = { bytes: 2, expMask: 0x1f, expShift: 10, mantMask: 0x3ff, bias: 15, exps: 31 };

/** Lowest exponent field refused. */
const limitField = (f: Float) => Math.min(f.exps, f.bias + LIMIT_EXP);

function describe(f: Float, bits: number): string | null {
  const e = (bits >>> f.expShift) & f.expMask;
  if (e < limitField(f)) return null;
  if (e === f.exps) return bits & f.mantMask ? 'NaN' : bits & (1 << (8 * f.bytes - 1)) ? '-infinity' : 'infinity';
  return `of magnitude 2^${e - f.bias} (no trained weight is ≥ 2^${LIMIT_EXP})`;
}

const valueAt = (f: Float, b: Uint8Array, o: number) =>
  f.bytes === 4 ? (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0 : b[o] | (b[o + 1] << 8);

/** Fast pass over b[from..to): may any value be out of bounds? (false = certainly none) */
function maybeBad(f: Float, b: Uint8Array, from: number, to: number): boolean {
  // Per lane: (bits & EXP) + CARRY reaches the lane's top bit iff the exponent field ≥ the limit.
  const lane = (v: number) => (f.bytes === 4 ? v : v | (v << 16));
  const exp = lane(f.expMask << f.expShift), carry = lane((f.expMask + 1 - limitField(f)) << f.expShift);
  const top = lane(1 << (8 * f.bytes - 1)) | 0;
  const aligned = (b.byteOffset + from) % 4 === 0;
  const words = aligned ? Math.floor((to - from) / 4) : 0;
  let acc = 0;
  if (words > 0) {
    const w = new Int32Array(b.buffer, b.byteOffset + from, words);
    for (let i = 0; i < words; i++) acc |= (w[i] & exp) + carry;
  }
  if ((acc & top) !== 0) return true;
  // a misaligned view or the tail: value by value
  for (let o = from + words * 4; o + f.bytes <= to; o += f.bytes) if (describe(f, valueAt(f, b, o)) !== null) return true;
  return false;
}

function firstBadFloat(f: Float, b: Uint8Array, from: number, to: number): BadValue | null {
  if (!maybeBad(f, b, from, to)) return null;
  for (let i = 0, o = from; o + f.bytes <= to; i++, o += f.bytes) {
    const what = describe(f, valueAt(f, b, o));
    if (what !== null) return { index: i, what };
  }
  return null;
}

/**
 * The first out-of-bounds value of `format` in b[from..to) (whole values or blocks), or null: a
 * float value, a Q8_0 block's f16 scale, an MXFP4 block's E8M0 scale (≥ MXFP4_SCALE_LIMIT).
 * `index` counts values for the float formats, blocks for the block formats.
 */
export function firstBadValue(format: Format, b: Uint8Array, from: number, to: number): BadValue | null {
  switch (format) {
    case 'f32': return firstBadFloat(F32, b, from, to);
    case 'bf16': return firstBadFloat(BF16, b, from, to);
    case 'f16': return firstBadFloat(F16, b, from, to);
    case 'q8_0':
      for (let i = 0, o = from; o + 34 <= to; i++, o += 34) {
        const what = describe(F16, valueAt(F16, b, o));
        if (what !== null) return { index: i, what: `a scale that is ${what}` };
      }
      return null;
    case 'mxfp4':
      for (let i = 0, o = from; o + 17 <= to; i++, o += 17) {
        const what = scaleProblem(b[o]);
        if (what !== null) return { index: i, what };
      }
      return null;
  }
}

/** What is wrong with an E8M0 scale byte, or null. */
export function scaleProblem(e: number): string | null {
  if (e === 255) return 'scale byte 255 (NaN)';
  if (e >= MXFP4_SCALE_LIMIT) return `scale byte ${e} (2^${e - 127}: no trained weight is ≥ 2^${LIMIT_EXP})`;
  return null;
}
