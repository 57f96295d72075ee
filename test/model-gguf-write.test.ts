// The GGUF writer: HF → GGUF in every dense type reads back to the same weights; written from the
// golden HF checkpoint it reproduces the golden (llama.cpp gguf-py) file byte for byte.
import { afterAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeGguf, type GgufDenseType } from '../src/synth/gguf-write.ts';
import { readGguf } from '../src/model/gguf.ts';
import { ModelFile } from '../src/model/io.ts';
import { loadCheckpoint } from '../src/model/checkpoint.ts';
import { f32ToBf16, quantizeQ8_0 } from '../src/model/quantize.ts';
import type { Checkpoint } from '../src/model/types.ts';
import { GOLDEN } from './helpers/golden.ts';
import { dequantAll, fillAll, tempDir } from './helpers/model-files.ts';

const tmp = tempDir('gguf-write');
const hf = loadCheckpoint(join(GOLDEN, 'tiny-a'));
const golden = loadCheckpoint(join(GOLDEN, 'tiny-a', 'model.gguf'));
afterAll(() => {
  hf.close();
  golden.close();
  tmp.cleanup();
});
const BIG_DENSE = /^(embed|unembed)$|\.attn_[qkvo]$/;

/** Checks `b` holds `a`'s weights: MXFP4 bytes identical, values within `tol(block amax)`. */
function expectSameWeights(a: Checkpoint, b: Checkpoint, tol: (n: string, amax: number) => number): void {
  expect(b.config).toEqual(a.config);
  for (const [n, ra] of a.tensors) {
    const rb = b.tensors.get(n)!;
    const ba = fillAll(ra), bb = fillAll(rb);
    if (ra.format === 'mxfp4' && rb.format === 'mxfp4' && Buffer.compare(ba, bb) !== 0) throw new Error(`${n}: MXFP4 bytes differ`);
    const va = dequantAll(ra, ba), vb = dequantAll(rb, bb);
    for (let i0 = 0; i0 < va.length; i0 += 32) {
      let amax = 0;
      for (let i = i0; i < Math.min(i0 + 32, va.length); i++) amax = Math.max(amax, Math.abs(va[i]));
      const t = tol(n, amax);
      for (let i = i0; i < Math.min(i0 + 32, va.length); i++) {
        if (!(Math.abs(va[i] - vb[i]) <= t)) throw new Error(`${n}[${i}]: ${va[i]} vs ${vb[i]} (tolerance ${t})`);
      }
    }
  }
}

// q8_0: |x − d·q| ≤ d/2 with d = amax/127, plus the f16 rounding of d (2^-11 relative, times |q| ≤ 127).
const Q8_TOL = (amax: number) => (amax / 127) * (0.5 + 127 / 2048) * 1.0001;
const tolerances: Record<GgufDenseType, (n: string, amax: number) => number> = {
  f32: () => 0,
  bf16: () => 0, // the HF values are bf16 already
  f16: (_, amax) => amax * 2 ** -11, // relative rounding of a normal f16
  q8_0: (n, amax) => (BIG_DENSE.test(n) ? Q8_TOL(amax) : 0),
};

describe.each(['f32', 'f16', 'bf16', 'q8_0'] as GgufDenseType[])('HF tiny-a → GGUF (dense %s) → back', (dense) => {
  test('same weights, types as asked', () => {
    const p = join(tmp.dir, `dense-${dense}.gguf`);
    writeGguf(p, hf, { dense });
    const back = loadCheckpoint(p);
    for (const [n, r] of back.tensors) {
      expect([n, r.format]).toEqual([n, /experts_(gate_up|down)$/.test(n) ? 'mxfp4' : BIG_DENSE.test(n) ? dense : 'f32']);
    }
    expectSameWeights(hf, back, tolerances[dense]);
    back.close();
  });
});

test('golden HF tiny-a with f32 dense reproduces golden model.gguf: data section, and with its tokenizer keys the whole file', () => {
  const plain = join(tmp.dir, 'plain.gguf');
  writeGguf(plain, hf, { dense: 'f32' });
  const gBytes = new Uint8Array(readFileSync(join(GOLDEN, 'tiny-a', 'model.gguf')));
  const pBytes = new Uint8Array(readFileSync(plain));
  const f1 = new ModelFile(join(GOLDEN, 'tiny-a', 'model.gguf')), f2 = new ModelFile(plain);
  const g1 = readGguf(f1), g2 = readGguf(f2);
  f1.close();
  f2.close();
  expect(g2.tensors.map((t) => [t.name, t.ne, t.type])).toEqual(g1.tensors.map((t) => [t.name, t.ne, t.type]));
  expect(Buffer.compare(pBytes.subarray(g2.dataOffset), gBytes.subarray(g1.dataOffset))).toBe(0);

  const tok = Object.fromEntries(Object.entries(golden.metadata).filter(([k]) => k.startsWith('tokenizer.')));
  const full = join(tmp.dir, 'full.gguf');
  writeGguf(full, hf, { dense: 'f32', name: golden.metadata['general.name'] as string, metadata: tok });
  expect(Buffer.compare(new Uint8Array(readFileSync(full)), gBytes)).toBe(0);
});

test('GGUF → GGUF copies the tokenizer keys through; experts can be written as f32', () => {
  const src = loadCheckpoint(join(GOLDEN, 'tiny-b', 'model.gguf'));
  const p = join(tmp.dir, 'b-f32experts.gguf');
  writeGguf(p, src, { dense: 'bf16', experts: 'f32' });
  const back = loadCheckpoint(p);
  for (const [k, v] of Object.entries(src.metadata)) if (k.startsWith('tokenizer.')) expect([k, back.metadata[k]]).toEqual([k, v]);
  expect(back.tensors.get('layers.0.experts_down')!.format).toBe('f32');
  expectSameWeights(src, back, () => 0); // every value is exact in bf16 and f32
  back.close();
  src.close();
});

test('concatenated ffn_gate_up_exps (newer llama.cpp variant) reads back interleaved', () => {
  const p = join(tmp.dir, 'concat.gguf');
  writeGguf(p, hf, { gateUp: 'concat' });
  const f = new ModelFile(p);
  const names = readGguf(f).tensors.map((t) => t.name);
  f.close();
  expect(names).toContain('blk.0.ffn_gate_up_exps.weight');
  expect(names).toContain('blk.0.ffn_gate_up_exps.bias');
  expect(names).not.toContain('blk.0.ffn_gate_exps.weight');
  const back = loadCheckpoint(p);
  expectSameWeights(hf, back, () => 0);
  back.close();
});

test('alignment other than 32 is written as general.alignment and honoured', () => {
  const p = join(tmp.dir, 'align64.gguf');
  writeGguf(p, hf, { alignment: 64 });
  const back = loadCheckpoint(p);
  expect(back.metadata['general.alignment']).toBe(64);
  expectSameWeights(hf, back, () => 0);
  back.close();
});

test('q8_0 quantizer: llama.cpp rounding (roundf, 1/d multiply, f16 d)', () => {
  const x = new Float32Array(32);
  x[0] = 127; // amax 127 → d = 1
  x[1] = -2.5; // roundf: away from zero → -3 (Math.round would give -2)
  x[2] = 2.5;
  x[3] = 0.49;
  x[4] = -127;
  const out = new Uint8Array(34);
  quantizeQ8_0(x, 32, out, 0);
  expect([out[0], out[1]]).toEqual([0x00, 0x3c]); // f16 1.0
  const q = [...new Int8Array(out.buffer, 2, 5)];
  expect(q).toEqual([127, -3, 3, 0, -127]);
  quantizeQ8_0(new Float32Array(32), 32, out, 0); // all zero: d = 0, q = 0
  expect([...out].every((b) => b === 0)).toBe(true);
});

test('bf16 rounding: nearest even, NaN stays NaN', () => {
  expect(f32ToBf16(1)).toBe(0x3f80);
  expect(f32ToBf16(1 + 2 ** -8)).toBe(0x3f80); // tie → even
  expect(f32ToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie → even (up)
  expect(f32ToBf16(NaN) & 0x7fc0).toBe(0x7fc0);
});

test('configs GGUF cannot express are refused with a clear error', () => {
  const p = join(tmp.dir, 'refused.gguf');
  const full = { ...hf, config: { ...hf.config, layerTypes: hf.config.layerTypes.map(() => 'full_attention' as const) } };
  expect(() => writeGguf(p, full)).toThrow(/layer_types/);
  const bf16 = { ...hf, tensors: new Map([...hf.tensors].map(([n, r]) => [n, { ...r, format: r.format === 'mxfp4' ? 'bf16' as const : r.format }])) };
  expect(() => writeGguf(p, bf16, { experts: 'mxfp4' })).toThrow(/needs an MXFP4 source/);
});
