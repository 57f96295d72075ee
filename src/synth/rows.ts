// Row streaming for the writers (GGUF, HF safetensors): a record's canonical bytes in pieces of
// whole rows. Records with fillRows (the synthetic ones, synth.ts) are generated piece by piece,
// so writing holds one piece, never the tensor; other records (a loaded file) are filled once
// whole, which costs at most the largest tensor, as converting a checkpoint always did.
import { rowBytes } from '../model/formats.ts';
import { CHUNK_BYTES } from '../model/io.ts';
import type { WeightRecord } from '../model/types.ts';

/** Rows (leading axes flattened) and bytes per row of a record; a 0-d tensor is one row. */
export function rowsOf(r: Pick<WeightRecord, 'shape' | 'format'>): { rows: number; rowBytes: number } {
  const cols = r.shape.length ? r.shape[r.shape.length - 1] : 1;
  let rows = 1;
  for (let i = 0; i < r.shape.length - 1; i++) rows *= r.shape[i];
  return { rows, rowBytes: rowBytes(r.format, cols) };
}

// One piece buffer for the process, reused by every call (JSC frees large ArrayBuffers lazily:
// a fresh 16 MiB buffer per tensor piled up to ~1 GB of garbage over the 459 tensors of 20b).
let piece = new Uint8Array(0);
function pieceBuffer(n: number): Uint8Array {
  if (piece.length < n) piece = new Uint8Array(n);
  return piece;
}

/**
 * Calls `each(bytes, r0, n)` for consecutive row ranges [r0, r0 + n) covering the record, in
 * order; `bytes` holds exactly those rows and is only valid during the call (the buffer is
 * shared: not reentrant).
 */
export function forEachRowChunk(r: WeightRecord, each: (bytes: Uint8Array, r0: number, n: number) => void,
  chunkBytes = CHUNK_BYTES): void {
  const { rows, rowBytes: rb } = rowsOf(r);
  const per = Math.max(1, Math.floor(chunkBytes / rb));
  if (r.fillRows) {
    const buf = pieceBuffer(Math.min(per, rows) * rb);
    for (let r0 = 0; r0 < rows; r0 += per) {
      const n = Math.min(per, rows - r0);
      const piece = buf.subarray(0, n * rb);
      r.fillRows(piece, r0, r0 + n);
      each(piece, r0, n);
    }
    return;
  }
  const all = new Uint8Array(r.byteSize);
  r.fill(all);
  for (let r0 = 0; r0 < rows; r0 += per) {
    const n = Math.min(per, rows - r0);
    each(all.subarray(r0 * rb, (r0 + n) * rb), r0, n);
  }
}
