// WeightRecord builders: each fill() turns file bytes into canonical bytes (formats.ts layouts)
// reading in bounded chunks. A plain copy reads straight into dst; the transforms (HF MXFP4
// repack, gate/up interleave, transpose) stage at most CHUNK_BYTES in a reused scratch buffer.
import { basename } from 'node:path';
import { FORMATS, hfBlockToGgml, tensorBytes, type Format } from './formats.ts';
import { firstBadValue, scaleProblem } from './finite.ts';
import { CHUNK_BYTES, ModelFile, assert, scratch } from './io.ts';
import { ModelLoadError, type WeightRecord } from './types.ts';

/** Bytes of one tensor inside one file. */
export interface Span {
  file: ModelFile;
  offset: number;
  /** Name inside the file, for error messages. */
  name: string;
}

type Fill = ((dst: Uint8Array, progress: (bytes: number) => void) => void) & {
  /** Rows [r0, r1) alone (fills whose rows are contiguous in the file); becomes WeightRecord.fillRows. */
  rows?: (dst: Uint8Array, r0: number, r1: number) => void;
};

/** Where a record's bytes live, for error messages: the file and the tensor name inside it. */
export interface Source {
  file: string;
  tensor: string;
  /** e.g. "(transposed)", shown in `origin` only */
  note?: string;
}

const sources = new WeakMap<WeightRecord, Source>();

/** The file and tensor a record was built from (records not made here: undefined). */
export function sourceOf(r: WeightRecord): Source | undefined {
  return sources.get(r);
}

export function makeRecord(src: Source, name: string, shape: number[], format: Format, fill: Fill): WeightRecord {
  const be = FORMATS[format].blockElems;
  if (shape.length > 0 && shape[shape.length - 1] % be !== 0) {
    throw new ModelLoadError(src.file, src.tensor, `row length ${shape[shape.length - 1]} is not a multiple of the ${be}-value ${format} block`);
  }
  const byteSize = tensorBytes(format, shape);
  const r: WeightRecord = {
    name, shape, format, byteSize,
    origin: `${basename(src.file)}: ${src.tensor}${src.note ? ` ${src.note}` : ''}`,
    fill(dst, progress) {
      assert(dst.length === byteSize, `${name}: fill needs ${byteSize} bytes, got ${dst.length}`);
      fill(dst, progress ?? (() => {}));
    },
  };
  const rows = fill.rows;
  if (rows && shape.length >= 2) {
    const rb = byteSize / shape.slice(0, -1).reduce((a, b) => a * b, 1);
    r.fillRows = (dst, r0, r1) => {
      assert(r0 >= 0 && r1 >= r0 && r1 * rb <= byteSize && dst.length === (r1 - r0) * rb, `${name}: bad fillRows(${r0}, ${r1})`);
      rows(dst, r0, r1);
    };
  }
  sources.set(r, src);
  return r;
}

/** The same bytes under another canonical name (tied embeddings). */
export function aliasRecord(r: WeightRecord, name: string): WeightRecord {
  const a = { ...r, name };
  const s = sources.get(r);
  if (s) sources.set(a, s);
  return a;
}

/**
 * A chunk as it lands: `buf[from..to)` holds whole blocks (values, for the float formats) and
 * `firstBlock` is the index of the one at `from` in the file tensor. Refuses what no real
 * checkpoint holds (finite.ts): NaN, infinity, weights or scales of 2^64 and more.
 */
function checkChunk(format: Format, buf: Uint8Array, from: number, to: number, span: Span, firstBlock: number): void {
  const bad = firstBadValue(format, buf, from, to);
  if (!bad) return;
  const what = FORMATS[format].blockElems === 1 ? `${format} value ${firstBlock + bad.index} is ${bad.what}`
    : `${format === 'mxfp4' ? 'MXFP4' : 'Q8_0'} block ${firstBlock + bad.index} has ${bad.what}`;
  throw new ModelLoadError(span.file.path, span.name, `${what} (damaged weights)`);
}

/** Canonical bytes are stored as-is (GGUF tensors, HF dense tensors). */
export function copyFill(span: Span, format: Format): Fill {
  const bb = FORMATS[format].blockBytes;
  const fill: Fill = (dst, progress) => {
    // Chunks of whole blocks so each chunk can be checked as it lands.
    const step = CHUNK_BYTES - (CHUNK_BYTES % bb);
    for (let at = 0; at < dst.length; at += step) {
      const n = Math.min(step, dst.length - at);
      span.file.read(dst, at, n, span.offset + at, span.name);
      checkChunk(format, dst, at, at + n, span, at / bb);
      progress(n);
    }
  };
  // Dense rows are contiguous in the file: a row range is one read (the CPU backend re-quantises
  // dense matrices to Q8_0 row range by row range for the fast precision).
  if (format !== 'mxfp4') {
    fill.rows = (dst, r0, r1) => {
      if (r1 <= r0) return;
      const at = r0 * (dst.length / (r1 - r0));
      span.file.read(dst, 0, dst.length, span.offset + at, span.name);
      checkChunk(format, dst, 0, dst.length, span, at / bb);
    };
  }
  return fill;
}

/**
 * HF MXFP4 pair → GGML blocks (spec §3.3 → §3.6): blocks [..., G, 16] and scales [..., G] become
 * one 17-byte block each, scale byte first, nibbles reordered by hfBlockToGgml.
 */
export function hfMxfp4Fill(blocks: Span, scales: Span): Fill {
  return (dst, progress) => {
    const total = dst.length / 17;
    const per = CHUNK_BYTES >> 4; // blocks per chunk: 16 MiB of nibbles
    const q = scratch(0, per * 16);
    const s = scratch(1, per);
    for (let b0 = 0; b0 < total; b0 += per) {
      const n = Math.min(per, total - b0);
      blocks.file.read(q, 0, n * 16, blocks.offset + b0 * 16, blocks.name);
      scales.file.read(s, 0, n, scales.offset + b0, scales.name);
      // Built in a plain buffer, then one copy: per-byte stores into a shared (wasm) memory are slow.
      const out = scratch(2, per * 17);
      for (let b = 0; b < n; b++) {
        const e = s[b], problem = scaleProblem(e);
        if (problem) throw new ModelLoadError(scales.file.path, scales.name, `MXFP4 block ${b0 + b} has ${problem} (damaged weights)`);
        out[b * 17] = e;
        hfBlockToGgml(q, b * 16, out, b * 17 + 1);
      }
      dst.set(out.subarray(0, n * 17), b0 * 17);
      progress(n * 17);
    }
  };
}

/** One half of an interleaved pair: expert e's `units` consecutive units start at offset + e·stride. */
export interface HalfSource extends Span {
  expertStride: number;
}

/**
 * gate/up → canonical interleaved rows (spec §3.4): unit 2j of expert e = gate unit j, 2j+1 = up
 * unit j. A unit is one row of a weight (rowBytes) or one element of a bias. Serves GGUF's split
 * pair (two tensors) and its concatenated `ffn_gate_up_exps` (one tensor, two halves per expert).
 */
export function interleaveFill(gate: HalfSource, up: HalfSource, experts: number, units: number, unitBytes: number, format: Format): Fill {
  const bb = FORMATS[format].blockBytes;
  return (dst, progress) => {
    assert(dst.length === experts * units * 2 * unitBytes, 'interleave size');
    const per = Math.max(1, Math.floor(CHUNK_BYTES / 2 / unitBytes));
    const a = scratch(0, per * unitBytes);
    const b = scratch(1, per * unitBytes);
    for (let e = 0; e < experts; e++) {
      for (let j0 = 0; j0 < units; j0 += per) {
        const n = Math.min(per, units - j0);
        const ga = e * gate.expertStride + j0 * unitBytes;
        const ua = e * up.expertStride + j0 * unitBytes;
        gate.file.read(a, 0, n * unitBytes, gate.offset + ga, gate.name);
        up.file.read(b, 0, n * unitBytes, up.offset + ua, up.name);
        checkChunk(format, a, 0, n * unitBytes, gate, ga / bb);
        checkChunk(format, b, 0, n * unitBytes, up, ua / bb);
        let o = (e * units + j0) * 2 * unitBytes;
        for (let j = 0; j < n; j++) {
          dst.set(a.subarray(j * unitBytes, (j + 1) * unitBytes), o);
          dst.set(b.subarray(j * unitBytes, (j + 1) * unitBytes), o + unitBytes);
          o += 2 * unitBytes;
        }
        progress(2 * n * unitBytes);
      }
    }
  };
}

/**
 * [E, in, out] → [E, out, in] for a dense element type (transformers' in-memory expert layout in
 * dequantized re-uploads, spec §2.5 / §9.11). Reads bands of source rows; writes strided.
 */
export function transposeFill(src: Span, experts: number, inDim: number, outDim: number, format: Format): Fill {
  const eb = FORMATS[format].blockBytes;
  assert(FORMATS[format].blockElems === 1, 'transpose needs an element format');
  return (dst, progress) => {
    const srcRow = outDim * eb;
    const per = Math.max(1, Math.floor(CHUNK_BYTES / srcRow));
    const t = scratch(0, per * srcRow);
    for (let e = 0; e < experts; e++) {
      const base = e * inDim * outDim * eb;
      for (let i0 = 0; i0 < inDim; i0 += per) {
        const n = Math.min(per, inDim - i0);
        src.file.read(t, 0, n * srcRow, src.offset + base + i0 * srcRow, src.name);
        checkChunk(format, t, 0, n * srcRow, src, (base + i0 * srcRow) / eb);
        for (let i = 0; i < n; i++) {
          for (let o = 0; o < outDim; o++) {
            const from = i * srcRow + o * eb;
            const to = base + (o * inDim + i0 + i) * eb;
            for (let k = 0; k < eb; k++) dst[to + k] = t[from + k];
          }
        }
        progress(n * srcRow);
      }
    }
  };
}
