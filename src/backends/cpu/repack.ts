// MXFP4 canonical (GGML block_mxfp4 rows) → the CPU "r4" layout of assembly/mxfp4.ts, in place:
// the codes of group k land at or before where its canonical rows were (64 < 68 bytes per group
// block), so each group is copied to a small buffer and written back; only the scales (1/17 of
// the matrix) wait in a side buffer until the end. No second copy of the tensor exists.
import { rowBytes } from '../../model/formats.ts';

/** Scratch bytes repack_mxfp4_r4 (assembly/mxfp4.ts) needs for a matrix of this shape. */
export function mxfp4R4Scratch(rows: number, cols: number): number {
  const nb = cols / 32;
  return 4 * nb * 17 + Math.ceil(rows / 4) * nb * 4;
}

/** Bytes of an r4 matrix: rows rounded up to a multiple of four. */
export function mxfp4R4Bytes(rows: number, cols: number): number {
  return Math.ceil(rows / 4) * 4 * rowBytes('mxfp4', cols);
}

/**
 * Reference implementation of the repack (tests; the backend runs the wasm twin
 * repack_mxfp4_r4). Repacks one matrix of `rows` canonical rows at u8[ptr…] (a trailing partial group's missing
 * rows must be zero bytes) into the r4 layout occupying mxfp4R4Bytes(rows, cols) bytes.
 */
export function repackMxfp4R4(u8: Uint8Array, ptr: number, rows: number, cols: number): void {
  const nb = cols / 32, rb = nb * 17, G = Math.ceil(rows / 4);
  const tmp = new Uint8Array(4 * rb), scales = new Uint8Array(G * nb * 4);
  for (let k = 0; k < G; k++) {
    tmp.set(u8.subarray(ptr + k * 4 * rb, ptr + (k + 1) * 4 * rb));
    for (let g = 0; g < nb; g++) {
      const codes = ptr + (k * nb + g) * 64;
      for (let i = 0; i < 4; i++) {
        const src = i * rb + g * 17;
        scales[(k * nb + g) * 4 + i] = tmp[src];
        u8.set(tmp.subarray(src + 1, src + 17), codes + 16 * i);
      }
    }
  }
  u8.set(scales, ptr + G * nb * 64);
}
