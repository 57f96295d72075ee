// The WebGPU weight layout and the Bun ⇄ Deno frames, on the host (no GPU needed): every format's
// repack decodes (by the shaders' scalar twin, packedValue) to the reference dequantisation; parts
// split on row and expert boundaries under the binding limit; frames survive any chunking.
import { describe, expect, test } from 'bun:test';
import { packedValue, packPart, planParts, rowLayout } from '../src/backends/webgpu/layout.ts';
import { bytesF32, encodeFrame, f32Bytes, FrameDecoder } from '../src/backends/remote/frames.ts';
import { rowBytes, type Format } from '../src/model/formats.ts';
import { dequantAll, randomBytes, rng } from './helpers/webgpu-checkpoint.ts';

const FORMATS: Format[] = ['f32', 'f16', 'bf16', 'q8_0', 'mxfp4'];

describe('layout', () => {
  for (const format of FORMATS) {
    test(`${format}: packed part decodes to the reference values (odd widths for dense rows)`, () => {
      const rand = rng(format.length);
      for (const cols of format === 'q8_0' || format === 'mxfp4' ? [32, 96, 160] : [1, 7, 32, 37, 130]) {
        const rows = 5, src = randomBytes(format, [rows, cols], rand, { eLo: 0, eHi: 254 });
        const L = rowLayout(format, cols), part = new Uint32Array(rows * (L.qWords + L.sWords));
        packPart(format, cols, rows, src, part);
        expect(L.qWords % 4).toBe(0);
        const want = dequantAll(format, [rows, cols], src);
        for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
          expect(Object.is(packedValue(format, cols, rows, part, r, c), want[r * cols + c])).toBe(true);
        }
      }
    });
  }

  test('mxfp4: E8M0 255 (NaN) is refused at load', () => {
    const src = new Uint8Array(17);
    src[0] = 255;
    expect(() => packPart('mxfp4', 32, 1, src, new Uint32Array(8))).toThrow(/E8M0 scale 255/);
  });

  test('parts: whole rows under the byte limit; stacked experts never split', () => {
    const p2 = planParts('bf16', [1000, 64], 4096); // 128 bytes a row → 32 rows a part
    expect(p2.length).toBe(32);
    expect(p2.every((p) => p.bytes <= 4096 && p.rows <= 32)).toBe(true);
    expect(p2.reduce((s, p) => s + p.rows, 0)).toBe(1000);
    const p3 = planParts('mxfp4', [32, 5760, 2880], 128 << 20); // 20b gate_up: 1532 packed bytes a row → 15 experts a part
    expect(p3.map((p) => p.rows / 5760)).toEqual([15, 15, 2]);
    expect(p3.every((p) => p.row0 % 5760 === 0 && p.bytes <= 128 << 20)).toBe(true);
    expect(planParts('f32', [201088, 64], 2 ** 31, 65535).length).toBe(4); // the dispatch grid (one row a workgroup)
    expect(() => planParts('bf16', [4, 64, 64], 4096)).toThrow(/one expert/);
    expect(rowBytes('mxfp4', 2880)).toBe(1530);
  });
});

describe('frames (Bun ⇄ Deno)', () => {
  test('messages survive any chunking, typed arrays as bytes', () => {
    const msgs = [{ t: 'done', id: 1, result: null }, { t: 'done', id: 2, result: f32Bytes(Float32Array.of(1.5, -2, 3e-8), 3) },
      { t: 'progress', id: 3, bytes: 5 }] as const;
    const wire = new Uint8Array(msgs.reduce<number[]>((a, m) => [...a, ...encodeFrame(m)], []));
    for (const step of [1, 3, 7, wire.length]) {
      const dec = new FrameDecoder(), got: unknown[] = [];
      for (let i = 0; i < wire.length; i += step) got.push(...dec.push(wire.subarray(i, i + step)));
      expect(got.length).toBe(3);
      expect([...bytesF32((got[1] as { result: Uint8Array }).result)]).toEqual([1.5, -2, Math.fround(3e-8)]);
      expect(got[2]).toEqual(msgs[2]);
    }
  });

  test('f32 bytes at an odd offset are copied, not misread', () => {
    const b = new Uint8Array(13);
    b.set(new Uint8Array(Float32Array.of(7, 8, 9).buffer), 1);
    expect([...bytesF32(b.subarray(1))]).toEqual([7, 8, 9]);
  });
});
