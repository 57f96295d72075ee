// Synthetic gpt-oss checkpoints: every canonical tensor of a config (types.ts expectedTensors) as
// a record whose bytes are generated on demand from (seed, tensor name, row), never stored. The
// same records feed the engine directly (demoCheckpoint, tests) and both writers (GGUF, HF
// safetensors), so a file of either format holds exactly these values.
//
// Value grids (what makes "same weights in both formats" exact, not approximate):
//   * 2-D dense matrices (embed, unembed, attn q/k/v/o, router): per 32-value block along the row,
//     value = q · 2^k, int q in [−127, 127] with max |q| = 127 exactly. Exact in bf16, f16, f32,
//     and Q8_0 re-quantisation reproduces it bit for bit (d = amax/127 = 2^k, spec §7.1).
//   * norms, biases, sinks: N(μ, σ) rounded to bf16 (exact in f32, which GGUF stores them as).
//   * experts: uniformly random E2M1 codes (all 16, −0 included) with an E8M0 byte per block of
//     127 + e0 + U{−1, 0, 1}, e0 = round(log2(gain / (2.93 · √fan_in))), 2.93 = rms of the E2M1
//     values (spec §3.1/§3.2); every 4th expert's gate_up gets +1 ("hot": 2× weights, so the
//     SwiGLU clamp at 7 is exercised, spec §4.6). The same recipe as ../shared/tools/gen_gpt_oss.py,
//     drawn from our own generator (row-rng.ts), so the values differ from its files.
// Magnitudes (σ): embed 1, q/k/v/router 1/√H, o 1/√(nq·d), unembed 2/√H; norms N(1, 0.1);
// q/k/v/router biases 0.2, o bias 0.05, sinks N(0, 1); expert biases gate_up 0.3, down 0.1.
import { FP4_VALUES, rowBytes, type Format } from '../model/formats.ts';
import { CHUNK_BYTES, assert } from '../model/io.ts';
import { f32ToBf16 } from '../model/quantize.ts';
import { RowRng, hashName } from './row-rng.ts';
import { expectedTensors, type Checkpoint, type ModelConfig, type WeightRecord } from '../model/types.ts';

type Recipe =
  | { kind: 'grid'; sigma: number } //                    bf16 on the q·2^k grid
  | { kind: 'bf16'; mu: number; sigma: number } //        N(μ, σ) rounded to bf16
  | { kind: 'mxfp4'; gain: number; hotEvery: number; rowsPerExpert: number };

const FP4_RMS = Math.sqrt(FP4_VALUES.reduce((s, v) => s + v * v, 0) / 16); // 2.926

function recipeOf(name: string, c: ModelConfig, hotEvery: number): Recipe {
  const H = c.hiddenSize, qd = c.numHeads * c.headDim;
  const s = name.replace(/^layers\.\d+\./, '');
  switch (s) {
    case 'embed': return { kind: 'grid', sigma: 1 };
    case 'unembed': return { kind: 'grid', sigma: 2 / Math.sqrt(H) };
    case 'attn_q': case 'attn_k': case 'attn_v': case 'router': return { kind: 'grid', sigma: 1 / Math.sqrt(H) };
    case 'attn_o': return { kind: 'grid', sigma: 1 / Math.sqrt(qd) };
    case 'final_norm': case 'attn_norm': case 'mlp_norm': return { kind: 'bf16', mu: 1, sigma: 0.1 };
    case 'attn_q_bias': case 'attn_k_bias': case 'attn_v_bias': case 'router_bias': return { kind: 'bf16', mu: 0, sigma: 0.2 };
    case 'attn_o_bias': return { kind: 'bf16', mu: 0, sigma: 0.05 };
    case 'attn_sinks': return { kind: 'bf16', mu: 0, sigma: 1 };
    case 'experts_gate_up_bias': return { kind: 'bf16', mu: 0, sigma: 0.3 };
    case 'experts_down_bias': return { kind: 'bf16', mu: 0, sigma: 0.1 };
    case 'experts_gate_up': return { kind: 'mxfp4', gain: 1.2, hotEvery, rowsPerExpert: 2 * c.intermediateSize };
    case 'experts_down': return { kind: 'mxfp4', gain: 0.2, hotEvery: 0, rowsPerExpert: H };
  }
  throw new Error(`synth: no recipe for tensor ${name}`);
}

// Scratch for one row (rows are at most a few thousand values; grows if a config needs more).
// The byte views below assume a little-endian host, as every JS engine we target is; the bytes
// (and so the seed → file mapping) would differ on a big-endian one.
let z = new Float32Array(4096);
let v = new Float32Array(4096);
let vHalves = new Uint16Array(v.buffer);
let out16 = new Uint16Array(4096);
let words = new Uint32Array(4096);
let wordBytes = new Uint8Array(words.buffer);
function ensureRow(cols: number, nWords: number): void {
  if (z.length < cols) {
    z = new Float32Array(cols);
    v = new Float32Array(cols);
    vHalves = new Uint16Array(v.buffer);
    out16 = new Uint16Array(cols);
  }
  if (words.length < nWords) {
    words = new Uint32Array(nWords);
    wordBytes = new Uint8Array(words.buffer);
  }
}

const ROUND = 1.5 * 2 ** 52;

/** One row of a 2-D dense matrix as bf16 bytes at dst[off..], on the q·2^k grid (see top). */
function gridRow(rng: RowRng, sigma: number, cols: number, dst: Uint8Array, off: number): void {
  ensureRow(cols, cols >> 1);
  const zz = z, vv = v, halves = vHalves, o16 = out16;
  rng.normals(zz, cols, words);
  for (let b = 0; b < cols; b += 32) {
    let amax = 0;
    for (let i = b; i < b + 32; i++) {
      const a = Math.abs(zz[i]);
      if (a > amax) amax = a;
    }
    // q = round(127·z/amax) puts the block's largest value at exactly ±127; the block scale
    // σ·amax/127 is rounded to a power of two, so each block keeps its shape under a gain in [0.71, 1.41].
    const m = 127 / amax;
    const scale = 2 ** Math.round(Math.log2((sigma * amax) / 127));
    // (x + 1.5·2^52) − 1.5·2^52 rounds x to an integer, ties to even, and never yields −0.
    for (let i = b; i < b + 32; i++) vv[i] = (zz[i] * m + ROUND - ROUND) * scale;
  }
  // bf16 = the high half of each f32 (little-endian: the odd u16), exact because |q| ≤ 127
  // needs 7 mantissa bits and bf16 has 8.
  for (let i = 0; i < cols; i++) o16[i] = halves[2 * i + 1];
  dst.set(new Uint8Array(o16.buffer, 0, 2 * cols), off);
}

/** One row of N(μ, σ) values rounded to bf16. */
function bf16Row(rng: RowRng, mu: number, sigma: number, cols: number, dst: Uint8Array, off: number): void {
  ensureRow(cols, cols >> 1);
  rng.normals(z, cols, words);
  for (let i = 0; i < cols; i++) {
    const h = f32ToBf16(mu + sigma * z[i]);
    dst[off + 2 * i] = h & 0xff;
    dst[off + 2 * i + 1] = h >>> 8;
  }
}

/**
 * One row of MXFP4 in the canonical GGML block layout (formats.ts): per block one scale byte, then
 * 16 code bytes. Draws 5 words per block: one for the scale jitter, four for the codes.
 */
function mxfp4Row(rng: RowRng, scaleBase: number, cols: number, dst: Uint8Array, off: number): void {
  const blocks = cols / 32;
  ensureRow(0, blocks * 5);
  const w = words, wb = wordBytes;
  rng.fill(w, blocks * 5);
  for (let g = 0, o = off; g < blocks; g++, o += 17) {
    dst[o] = scaleBase + (w[g] % 3) - 1;
    const src = (blocks + 4 * g) * 4;
    for (let j = 0; j < 16; j++) dst[o + 1 + j] = wb[src + j];
  }
}

function synthRecord(name: string, shape: number[], recipe: Recipe, seed: number): WeightRecord {
  const format: Format = recipe.kind === 'mxfp4' ? 'mxfp4' : 'bf16';
  const cols = shape[shape.length - 1];
  let rows = 1;
  for (let i = 0; i < shape.length - 1; i++) rows *= shape[i];
  const rb = rowBytes(format, cols);
  const nameHash = hashName(name);
  const e0 = recipe.kind === 'mxfp4' ? Math.round(Math.log2(recipe.gain / (FP4_RMS * Math.sqrt(cols)))) : 0;
  const rng = new RowRng();

  const fillRows = (dst: Uint8Array, r0: number, r1: number): void => {
    assert(r0 >= 0 && r0 <= r1 && r1 <= rows, `${name}: rows [${r0}, ${r1}) outside [0, ${rows})`);
    assert(dst.length === (r1 - r0) * rb, `${name}: fillRows needs ${(r1 - r0) * rb} bytes, got ${dst.length}`);
    for (let r = r0; r < r1; r++) {
      rng.reset(seed, nameHash, r);
      const off = (r - r0) * rb;
      if (recipe.kind === 'grid') gridRow(rng, recipe.sigma, cols, dst, off);
      else if (recipe.kind === 'bf16') bf16Row(rng, recipe.mu, recipe.sigma, cols, dst, off);
      else {
        const e = Math.floor(r / recipe.rowsPerExpert);
        const hot = recipe.hotEvery && e % recipe.hotEvery === recipe.hotEvery - 1 ? 1 : 0;
        // Clamped to finite, non-degenerate E8M0 bytes (255 is NaN, spec §3.2).
        mxfp4Row(rng, Math.min(253, Math.max(2, 127 + e0 + hot)), cols, dst, off);
      }
    }
  };
  return {
    name, shape, format, byteSize: rows * rb, origin: `synthetic (seed ${seed}): ${name}`,
    fillRows,
    fill(dst, progress) {
      assert(dst.length === rows * rb, `${name}: fill needs ${rows * rb} bytes, got ${dst.length}`);
      const per = Math.max(1, Math.floor(CHUNK_BYTES / rb));
      for (let r0 = 0; r0 < rows; r0 += per) {
        const r1 = Math.min(rows, r0 + per);
        fillRows(dst.subarray(r0 * rb, r1 * rb), r0, r1);
        progress?.((r1 - r0) * rb);
      }
    },
  };
}

export interface SynthOptions {
  /** Any safe integer ≥ 0 (default 0): same seed, same bytes. */
  seed?: number;
  /** Checkpoint.path (default 'synthetic'). */
  path?: string;
  /** Merged into Checkpoint.metadata. */
  metadata?: Record<string, unknown>;
  /** Every `hotEvery`-th expert gets 2× gate_up weights (default 4; 0 = none). */
  hotEvery?: number;
}

/** A checkpoint whose tensors are generated on demand: nothing is allocated until a fill(). */
export function synthCheckpoint(config: ModelConfig, o: SynthOptions = {}): Checkpoint {
  const seed = o.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`synth: seed must be a non-negative integer, got ${seed}`);
  const tensors = new Map<string, WeightRecord>();
  let totalBytes = 0;
  for (const [name, shape] of expectedTensors(config)) {
    const r = synthRecord(name, shape, recipeOf(name, config, o.hotEvery ?? 4), seed);
    tensors.set(name, r);
    totalBytes += r.byteSize;
  }
  const metadata = { 'general.architecture': 'gpt-oss', 'general.name': 'oss-edge synthetic (random weights)', 'oss-edge.synthetic.seed': seed, ...o.metadata };
  return { kind: 'synthetic', path: o.path ?? 'synthetic', config, tensors, metadata, totalBytes, close() {} };
}
