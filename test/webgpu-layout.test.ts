// The WebGPU weight layout and the Bun ⇄ Deno frames, on the host (no GPU needed): every format's
// repack decodes (by the shaders' scalar twin, packedValue) to the reference dequantisation; parts
// split on row and expert boundaries under the binding limit; frames survive any chunking.
import { describe, expect, test } from 'bun:test';
import { packedValue, packPart, planParts, rowLayout } from '../src/backends/webgpu/layout.ts';
import { bytesF32, encodeFrame, f32Bytes, FrameDecoder } from '../src/backends/remote/frames.ts';
import { rowBytes, type Format } from '../src/model/formats.ts';
import { expectedTensors, isVector } from '../src/model/types.ts';
import { configOfJson, presetConfigJson } from '../src/synth/presets.ts';
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

  // The real gpt-oss-120b (MXFP4 experts, Q8_0 dense as ggml-org's file, bf16 router) under the
  // limits the H200 reported (research/gpu-device.md) and lavapipe's: every tensor splits into
  // parts under the binding limit, whole experts per part, and every dispatch over a part fits
  // the 65535-workgroup grid (16 lanes a row on a GPU: 4 rows a workgroup; 1 lane on lavapipe).
  for (const [what, binding, maxBuffer, lanes] of [['H200', 2_147_483_644, 4_292_870_144, 16], ['lavapipe', 134_217_728, 2_147_483_647, 1]] as const) {
    test(`gpt-oss-120b (real shapes) plans under ${what}'s limits`, () => {
      const c = configOfJson(presetConfigJson('gpt-oss-120b'));
      const cap = Math.min(binding, maxBuffer), maxRows = 65535 * (64 / lanes);
      let bytes = 0, stackParts = 0;
      for (const [name, shape] of expectedTensors(c)) {
        if (isVector({ name, shape })) continue;
        const format: Format = name.includes('experts_') ? 'mxfp4' : name.endsWith('router') ? 'bf16' : 'q8_0';
        const parts = planParts(format, shape, cap, maxRows);
        const unit = shape.length === 3 ? shape[1] : 1;
        expect(parts.reduce((s, p) => s + p.rows, 0)).toBe(shape.length === 3 ? shape[0] * shape[1] : shape[0]);
        for (const p of parts) {
          expect(p.bytes).toBeLessThanOrEqual(cap);
          expect(p.row0 % unit).toBe(0);
          expect(p.rows % unit).toBe(0);
          expect(Math.ceil((shape.length === 3 ? unit : p.rows) / (64 / lanes))).toBeLessThanOrEqual(65535); // workgroups along x
          if (shape.length === 3) expect(p.rows / unit).toBeLessThanOrEqual(65535); // experts along y
        }
        if (name === 'layers.0.experts_gate_up') stackParts = parts.length;
        bytes += parts.reduce((s, p) => s + p.bytes, 0);
      }
      expect(c.numExperts).toBe(128);
      expect(stackParts).toBe(what === 'H200' ? 1 : 9); // 128 × 5760 rows × 1532 bytes = 1.13 GB
      expect(bytes / 1e9).toBeGreaterThan(60);
      expect(bytes / 1e9).toBeLessThan(141 * 1.0737); // fits an H200's 141 GiB
    });
  }
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
