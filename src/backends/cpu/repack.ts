// MXFP4 canonical (GGML block_mxfp4 rows) → the CPU "r8" layout of assembly/mxfp4.ts, in place:
// the codes of group k land at or before where its canonical rows were (128 < 136 bytes per group
// block), so each group is copied to a small buffer and written back; only the scales (1/17 of
// the matrix) wait in a side buffer until the end. No second copy of the tensor exists.
import { rowBytes } from '../../model/formats.ts';

/** Rows per group of the layout (assembly/r8.ts). */
export const MXFP4_GROUP = 8;

/** Scratch bytes repack_mxfp4_r8 (assembly/mxfp4.ts) needs for a matrix of this shape. */
export function mxfp4R8Scratch(rows: number, cols: number): number {
  const nb = cols / 32;
  return MXFP4_GROUP * nb * 17 + Math.ceil(rows / MXFP4_GROUP) * nb * MXFP4_GROUP;
}

/** Bytes of an r8 matrix: rows rounded up to a multiple of eight. */
export function mxfp4R8Bytes(rows: number, cols: number): number {
  return Math.ceil(rows / MXFP4_GROUP) * MXFP4_GROUP * rowBytes('mxfp4', cols);
}

/**
 * Reference implementation of the repack (tests; the backend runs the wasm twin
 * repack_mxfp4_r8). Repacks one matrix of `rows` canonical rows at u8[ptr…] (a trailing partial
 * group's missing rows must be zero bytes) into the r8 layout occupying mxfp4R8Bytes(rows, cols) bytes:
 * block g of group k holds, at 32j + 16h + 4i + t, byte qs[4j + t] of row 8k + 4h + i.
 */
export function repackMxfp4R8(u8: Uint8Array, ptr: number, rows: number, cols: number): void {
  const nb = cols / 32, rb = nb * 17, G = Math.ceil(rows / MXFP4_GROUP);
  const tmp = new Uint8Array(MXFP4_GROUP * rb), scales = new Uint8Array(G * nb * MXFP4_GROUP);
  for (let k = 0; k < G; k++) {
    tmp.set(u8.subarray(ptr + k * MXFP4_GROUP * rb, ptr + (k + 1) * MXFP4_GROUP * rb));
    for (let g = 0; g < nb; g++) {
      const codes = ptr + (k * nb + g) * 16 * MXFP4_GROUP;
      for (let r = 0; r < MXFP4_GROUP; r++) {
        const src = r * rb + g * 17;
        scales[(k * nb + g) * MXFP4_GROUP + r] = tmp[src];
        for (let j = 0; j < 4; j++) u8.set(tmp.subarray(src + 1 + 4 * j, src + 5 + 4 * j), codes + 32 * j + 16 * (r >> 2) + 4 * (r & 3));
      }
    }
  }
  u8.set(scales, ptr + G * nb * 16 * MXFP4_GROUP);
}
