// How a weight matrix sits in GPU buffers (DESIGN.md "WebGPU backend"; style-anchors §5c.6).
// Every format is repacked once, at load, into word-aligned regions so a shader reads whole u32 /
// vec4<u32> words and never stitches bytes across a 17- or 34-byte block:
//
//   one part (one GPUBuffer, ≤ the adapter's maxStorageBufferBindingSize):
//   ┌──────────────────────────────────────────┬─────────────────────────────────┐
//   │ quants: rows × qWords u32 (row-major)    │ scales: rows × sWords u32       │
//   └──────────────────────────────────────────┴─────────────────────────────────┘
//   format  quants per 32-value block                        scales per block
//   f32     32 words (the values)                            —
//   f16     16 words, 2 halves each (element 2k = low half)  —
//   bf16    16 words, 2 bf16 each (element 2k = low half)    —
//   q8_0    8 words, 4 int8 each (element 4k = low byte)     1 word: d as f32 (exact from f16)
//   mxfp4   4 words = GGML qs[16] unchanged (byte j: low     1 byte, 4 per word (block 4k = low
//           nibble = element j, high nibble = element j+16)  byte): the E8M0 exponent
//
// Rows are padded to whole 32-value blocks with zeros (only dense rows can be ragged). A tensor is
// split into parts on row boundaries; a stacked [E, rows, cols] tensor only on expert boundaries,
// so one expert never straddles two buffers.
import { FORMATS, rowBytes, type Format } from '../../model/formats.ts';

export const BLOCK = 32;

export interface RowLayout {
  /** 32-value blocks per row (cols rounded up). */
  nb: number;
  /** u32 words of quants per row (a multiple of 4: rows start on vec4 boundaries). */
  qWords: number;
  /** u32 words of scales per row (0 for dense formats). */
  sWords: number;
}

export function rowLayout(format: Format, cols: number): RowLayout {
  const nb = Math.ceil(cols / BLOCK);
  switch (format) {
    case 'f32': return { nb, qWords: nb * 32, sWords: 0 };
    case 'f16': case 'bf16': return { nb, qWords: nb * 16, sWords: 0 };
    case 'q8_0': return { nb, qWords: nb * 8, sWords: nb };
    case 'mxfp4': return { nb, qWords: nb * 4, sWords: Math.ceil(nb / 4) };
  }
}

export interface PartPlan { row0: number; rows: number; bytes: number }

/** Workgroups along one dispatch dimension (WebGPU's default maxComputeWorkgroupsPerDimension). */
const GRID = 65535;

/**
 * Splits `shape` ([rows, cols] or [E, rows, cols]) into parts of at most `maxBytes` bytes, whole
 * experts per part for 3-D tensors. `maxRows` is what one dispatch covers along x (the grid's
 * limit): a 2-D part has at most that many rows; a stack is dispatched one expert per row of
 * workgroups (y), so its experts must each fit, and a part holds at most 65535 of them.
 */
export function planParts(format: Format, shape: readonly number[], maxBytes: number, maxRows = Infinity): PartPlan[] {
  const cols = shape[shape.length - 1];
  const unitRows = shape.length === 3 ? shape[1] : 1;
  const units = shape.length === 3 ? shape[0] : shape.length === 2 ? shape[0] : 1;
  const L = rowLayout(format, cols);
  const unitBytes = unitRows * (L.qWords + L.sWords) * 4;
  if (unitRows > maxRows) throw new Error(`an expert of a [${shape.join(', ')}] tensor has more rows than one dispatch covers (${maxRows})`);
  const perPart = Math.min(Math.floor(maxBytes / unitBytes), shape.length === 3 ? GRID : maxRows);
  if (perPart < 1) {
    const what = shape.length === 3 ? 'one expert' : 'one row';
    throw new Error(`${what} of a ${format} [${shape.join(', ')}] tensor needs ${unitBytes} bytes, more than one GPU buffer binding allows (${maxBytes})`);
  }
  const parts: PartPlan[] = [];
  for (let u = 0; u < units; u += perPart) {
    const n = Math.min(perPart, units - u);
    parts.push({ row0: u * unitRows, rows: n * unitRows, bytes: n * unitBytes });
  }
  return parts;
}

/**
 * Repacks `rows` canonical rows (src, formats.ts layout, starting at the part's first row) into
 * `dst` (the part's words: quants then scales). dst must be zeroed (padding stays 0).
 */
export function packPart(format: Format, cols: number, rows: number, src: Uint8Array, dst: Uint32Array): void {
  const L = rowLayout(format, cols), rb = rowBytes(format, cols);
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const sBase = rows * L.qWords;
  const d8 = new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength);
  for (let r = 0; r < rows; r++) {
    const s0 = r * rb, q0 = r * L.qWords;
    switch (format) {
      case 'f32': case 'f16': case 'bf16':
        d8.set(src.subarray(s0, s0 + rb), q0 * 4);
        break;
      case 'q8_0':
        for (let b = 0; b < L.nb; b++) {
          const o = s0 + b * 34;
          d8.set(src.subarray(o + 2, o + 34), (q0 + b * 8) * 4);
          new Float32Array(dst.buffer, dst.byteOffset + (sBase + r * L.sWords + b) * 4, 1)[0] = f16(dv.getUint16(o, true));
        }
        break;
      case 'mxfp4':
        for (let b = 0; b < L.nb; b++) {
          const o = s0 + b * 17;
          if (src[o] === 255) throw new Error(`E8M0 scale 255 (NaN) in row ${r}, block ${b}`);
          d8.set(src.subarray(o + 1, o + 17), (q0 + b * 4) * 4);
          d8[(sBase + r * L.sWords) * 4 + b] = src[o];
        }
        break;
    }
  }
}

const half = new Uint8Array(2), halfF = new Float32Array(32);
function f16(h: number): number {
  half[0] = h & 255; half[1] = h >> 8;
  FORMATS.f16.dequant(half, halfF, 1);
  return halfF[0];
}

/**
 * Value (r, c) of a packed part, decoded on the host: the scalar twin of the shaders' wdecode /
 * wscale, used by the tests to check a repack without a GPU.
 */
export function packedValue(format: Format, cols: number, rows: number, part: Uint32Array, r: number, c: number): number {
  const L = rowLayout(format, cols), b = Math.floor(c / BLOCK), k = c % BLOCK;
  const q = r * L.qWords + b * (L.qWords / L.nb), s = rows * L.qWords + r * L.sWords;
  const f32 = new Float32Array(part.buffer, part.byteOffset, part.length);
  switch (format) {
    case 'f32': return f32[q + k];
    case 'f16': case 'bf16': {
      const w = part[q + (k >> 1)], h = k & 1 ? w >>> 16 : w & 0xffff;
      half[0] = h & 255; half[1] = h >> 8;
      FORMATS[format].dequant(half, halfF, 1);
      return halfF[0];
    }
    case 'q8_0': return ((part[q + (k >> 2)] << (24 - 8 * (k & 3))) >> 24) * f32[s + b];
    case 'mxfp4': {
      const byte = (part[q + ((k & 15) >> 2)] >>> (8 * (k & 3))) & 255;
      const e = (part[s + (b >> 2)] >>> (8 * (b & 3))) & 255;
      const blk = new Uint8Array(17); blk[0] = e; blk[1 + (k & 15)] = byte;
      FORMATS.mxfp4.dequant(blk, halfF, 32);
      return halfF[k];
    }
  }
}
