// The CPU's interleaved weight layouts, made in place at load from canonical GGML rows:
// - MXFP4 → "r8" (assembly/mxfp4.ts): the codes of group k land at or before where its canonical
//   rows were (128 < 136 bytes per group block), so each group is copied to a small buffer and
//   written back; only the scales (1/17 of the matrix) wait in a side buffer until the end.
// - Q8_0 → "r4" (assembly/q8_0_r4.ts, fast precision): a group's blocks take exactly its rows' bytes.
// - Q8_0 → "r4s" (assembly/q8_0_r4s.ts, the relaxed-SIMD variants): the same groups, four codes of a
//   row per i32 lane; refused for a matrix holding a −128 code, which then takes r4 (REFUSED).
// No second copy of the tensor exists.
import { rowBytes, type Format } from '../../model/formats.ts';

/** How a matrix's bytes are arranged: canonical rows, or one of the grouped layouts. */
export type Layout = 'rows' | 'r4' | 'r4s' | 'r8';

/** Rows per group of each layout (a stacked matrix's experts each start on a whole group). */
export const GROUP_ROWS: Record<Layout, number> = { rows: 1, r4: 4, r4s: 4, r8: 8 };

/** Bytes of one matrix of `rows` × `cols` in a layout: rows rounded up to whole groups. */
export function layoutBytes(layout: Layout, format: Format, rows: number, cols: number): number {
  return Math.ceil(rows / GROUP_ROWS[layout]) * GROUP_ROWS[layout] * rowBytes(format, cols);
}

/** The wasm kernel (assembly/) that makes a layout in place from canonical rows; none for rows. */
export const REPACK_KERNEL = { rows: null, r4: 'repack_q8_0_r4', r4s: 'repack_q8_0_r4s', r8: 'repack_mxfp4_r8' } as const satisfies Record<Layout, string | null>;

/**
 * Layouts that cannot hold every matrix of their format: the wasm check (canonical rows, the
 * whole stack at once) that answers 1 for such a matrix, and the layout it takes instead — the
 * same bytes, so the placement holds. r4s cannot hold a −128 code.
 */
export const REFUSED: Partial<Record<Layout, { check: 'q8_0_has_min_code'; use: Layout }>> = { r4s: { check: 'q8_0_has_min_code', use: 'r4' } };

/** Scratch bytes the wasm repack of a layout needs for a matrix of this shape. */
export function repackScratch(layout: Layout, rows: number, cols: number): number {
  if (layout === 'r8') return mxfp4R8Scratch(rows, cols);
  if (layout === 'r4' || layout === 'r4s') return 4 * rowBytes('q8_0', cols);
  return 0;
}

/**
 * Reference repack (tests; the backend runs the wasm twins): one matrix of `rows` canonical rows
 * at u8[ptr…] (a trailing partial group's missing rows must be zero bytes) into `layout`,
 * occupying layoutBytes(layout, …) bytes.
 */
export function repackReference(layout: Layout, u8: Uint8Array, ptr: number, rows: number, cols: number): void {
  if (layout === 'r8') repackMxfp4R8(u8, ptr, rows, cols);
  if (layout === 'r4' || layout === 'r4s') repackQ8Groups(u8, ptr, rows, cols, layout === 'r4' ? 2 : 4);
}

/**
 * Q8_0 → r4 (lane 2) or r4s (lane 4): block g of group k holds the four f16 scales, then at
 * 8 + 4·lane·⌊q/lane⌋ + lane·i + q mod lane byte q of row 4k + i.
 */
function repackQ8Groups(u8: Uint8Array, ptr: number, rows: number, cols: number, lane: number): void {
  const nb = cols / 32, rb = nb * 34, G = Math.ceil(rows / 4), tmp = new Uint8Array(4 * rb);
  for (let k = 0; k < G; k++) {
    const at = ptr + k * 4 * rb;
    tmp.set(u8.subarray(at, at + 4 * rb));
    for (let g = 0; g < nb; g++) for (let i = 0; i < 4; i++) {
      const src = i * rb + g * 34, blk = at + g * 136;
      u8.set(tmp.subarray(src, src + 2), blk + 2 * i);
      for (let q = 0; q < 32; q++) u8[blk + 8 + 4 * lane * Math.floor(q / lane) + lane * i + (q % lane)] = tmp[src + 2 + q];
    }
  }
}

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
