// In-memory checkpoints for the WebGPU kernel checks: canonical bytes
// (src/model/formats.ts layouts) made from random data, wrapped as WeightRecords.
import { FORMATS, f32ToF16, rowBytes, tensorBytes, type Format } from '../../src/model/formats.ts';
import type { Checkpoint, ModelConfig, WeightRecord } from '../../src/model/types.ts';

/** Deterministic PRNG (mulberry32, dependency-free so the Deno harness can load it). */
export { rng } from '../../bench/rng.ts';

export interface MemTensor { name: string; shape: number[]; format: Format; bytes: Uint8Array }

export function record(t: MemTensor): WeightRecord {
  const byteSize = tensorBytes(t.format, t.shape);
  if (t.bytes.length !== byteSize) throw new Error(`${t.name}: ${t.bytes.length} bytes, ${t.format} [${t.shape}] needs ${byteSize}`);
  return {
    name: t.name, shape: t.shape, format: t.format, byteSize, origin: `memory: ${t.name}`,
    fill(dst, progress) { dst.set(t.bytes); progress?.(byteSize); },
  };
}

export function memCheckpoint(config: ModelConfig, tensors: MemTensor[]): Checkpoint {
  const map = new Map(tensors.map((t) => [t.name, record(t)]));
  return {
    kind: 'gguf', path: '(memory)', config, tensors: map, metadata: {},
    totalBytes: [...map.values()].reduce((s, r) => s + r.byteSize, 0), close() {},
  };
}

/**
 * Random canonical bytes for `format`, covering its edge cases: every FP4 code and E8M0 exponents
 * in [eLo, eHi] for mxfp4, random finite halves (subnormals included) for f16, f16 scales for q8_0.
 */
export function randomBytes(format: Format, shape: number[], rand: () => number, o: { eLo?: number; eHi?: number; amp?: number } = {}): Uint8Array {
  const cols = shape[shape.length - 1], rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const rb = rowBytes(format, cols), w = new Uint8Array(rb * rows), dv = new DataView(w.buffer);
  const amp = o.amp ?? 2, eLo = o.eLo ?? 120, eHi = o.eHi ?? 130;
  for (let r = 0; r < rows; r++) {
    const at = r * rb;
    for (let i = 0; i < rb; i++) w[at + i] = (rand() * 256) | 0;
    if (format === 'f32') for (let c = 0; c < cols; c++) dv.setFloat32(at + 4 * c, (rand() - 0.5) * 2 * amp, true);
    if (format === 'bf16') for (let c = 0; c < cols; c++) dv.setUint16(at + 2 * c, new Uint32Array(Float32Array.of((rand() - 0.5) * 2 * amp).buffer)[0] >>> 16, true);
    if (format === 'f16') for (let c = 0; c < cols; c++) {
      let h = (rand() * 65536) | 0;
      if (((h >> 10) & 31) >= 17) h &= ~0x4000; // keep |v| < 4: finite, subnormals kept
      dv.setUint16(at + 2 * c, h, true);
    }
    if (format === 'q8_0') for (let g = 0; g < cols / 32; g++) dv.setUint16(at + 34 * g, f32ToF16((rand() - 0.5) * 0.1 * amp), true);
    if (format === 'mxfp4') for (let g = 0; g < cols / 32; g++) w[at + 17 * g] = eLo + ((rand() * (eHi - eLo + 1)) | 0);
  }
  if (format === 'mxfp4' && rows > 0) for (let i = 0; i < 16; i++) w[1 + i] = (i << 4) | (15 - i); // every code, both nibbles
  return w;
}

/** f32 values of a canonical tensor (the formats.ts reference dequantisation). */
export function dequantAll(format: Format, shape: number[], bytes: Uint8Array): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1), out = new Float32Array(n);
  FORMATS[format].dequant(bytes, out, n);
  return out;
}

export function f32Bytes(v: Float32Array): Uint8Array {
  return new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
}

/** A config with every field set; tests override the dimensions they use. */
export function testConfig(o: Partial<ModelConfig> = {}): ModelConfig {
  return {
    vocabSize: 64, hiddenSize: 64, numLayers: 1, numHeads: 4, numKvHeads: 2, headDim: 16, numExperts: 4, expertsPerToken: 2,
    intermediateSize: 32, swigluLimit: 7, swigluAlpha: 1.702, slidingWindow: 4, layerTypes: ['sliding_attention'],
    ropeTheta: 10000, rope: null, rmsNormEps: 1e-5, maxPositions: 4096, eosTokenId: null, padTokenId: null, ...o,
  };
}
