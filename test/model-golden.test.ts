// The golden checkpoints hold the same weights as HF safetensors and as llama.cpp GGUF (experts
// MXFP4 with gate/up split, everything else F32): both readers must give one canonical set.
import { afterAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { FORMATS, hfBlockToGgml } from '../src/model/formats.ts';
import { loadCheckpoint } from '../src/model/checkpoint.ts';
import { expectedTensors } from '../src/model/types.ts';
import { GOLDEN } from './helpers/golden.ts';
import { dequantAll, fillAll } from './helpers/model-files.ts';

describe.each(['tiny-a', 'tiny-b'])('golden %s: HF and GGUF agree', (name) => {
  const hf = loadCheckpoint(join(GOLDEN, name));
  const gg = loadCheckpoint(join(GOLDEN, name, 'model.gguf'));
  afterAll(() => {
    hf.close();
    gg.close();
  });

  test('same config, all expected tensors with the same shapes', () => {
    expect(hf.kind).toBe('hf');
    expect(gg.kind).toBe('gguf');
    expect(gg.config).toEqual(hf.config);
    const want = expectedTensors(hf.config);
    expect([...hf.tensors.keys()].sort()).toEqual([...want.keys()].sort());
    expect([...gg.tensors.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [n, shape] of want) {
      expect(hf.tensors.get(n)!.shape).toEqual(shape);
      expect(gg.tensors.get(n)!.shape).toEqual(shape);
    }
  });

  test('formats: experts mxfp4 in both, dense bf16 (HF) vs f32 (GGUF)', () => {
    for (const [n, r] of hf.tensors) {
      const g = gg.tensors.get(n)!;
      if (/experts_(gate_up|down)$/.test(n)) {
        expect([r.format, g.format]).toEqual(['mxfp4', 'mxfp4']);
      } else {
        expect([r.format, g.format]).toEqual(['bf16', 'f32']);
      }
    }
  });

  test('tensor by tensor: identical MXFP4 bytes, equal values everywhere', () => {
    for (const [n, r] of hf.tensors) {
      const g = gg.tensors.get(n)!;
      const a = fillAll(r), b = fillAll(g);
      if (r.format === 'mxfp4') expect(Buffer.compare(a, b)).toBe(0);
      const va = dequantAll(r, a), vb = dequantAll(g, b);
      let diff = 0;
      for (let i = 0; i < va.length; i++) if (!Object.is(va[i], vb[i]) && va[i] !== vb[i]) diff++;
      if (diff) throw new Error(`${n}: ${diff} of ${va.length} values differ`);
    }
  });

  test('totalBytes is the sum of the records and progress adds up', () => {
    let sum = 0;
    for (const r of hf.tensors.values()) sum += r.byteSize;
    expect(hf.totalBytes).toBe(sum);
    const r = gg.tensors.get('layers.0.experts_gate_up')!;
    let seen = 0;
    r.fill(new Uint8Array(r.byteSize), (n) => (seen += n));
    expect(seen).toBe(r.byteSize);
  });
});

test('spec §3.3/§3.6 worked example: HF block → GGML block → values', () => {
  const hf = Uint8Array.from([0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe, 0x21, 0x43, 0x65, 0x87, 0xa9, 0xcb, 0xed, 0x0f]);
  const block = new Uint8Array(17);
  block[0] = 0x80; // scale 2^(128-127) = 2
  hfBlockToGgml(hf, 0, block, 1);
  expect([...block]).toEqual([0x80, 0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87, 0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe, 0x0f]);
  const v = new Float32Array(32);
  FORMATS.mxfp4.dequant(block, v, 32);
  const want = [0, 1, 2, 3, 4, 6, 8, 12, -0, -1, -2, -3, -4, -6, -8, -12, 1, 2, 3, 4, 6, 8, 12, -0, -1, -2, -3, -4, -6, -8, -12, 0];
  expect([...v]).toEqual(want);
  expect(Object.is(v[8], -0) && Object.is(v[23], -0)).toBe(true);
});
