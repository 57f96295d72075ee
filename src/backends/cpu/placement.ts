// Where each weight lives. Vectors (norms, biases, sinks) are converted to f32 and kept in the
// activation arena (arena 0), where the element-wise kernels run; matrices stay in their storage
// format in weight arenas, first-fit in checkpoint order, never straddling two arenas.
import type { WeightRecord } from '../../model/types.ts';
import { mxfp4R4Bytes } from './repack.ts';

export interface Placement { arena: number; offset: number }

/** Bytes a matrix takes in the CPU layout (MXFP4 rows padded to groups of four, repack.ts). */
function bytesOf(rec: WeightRecord): number {
  if (rec.format !== 'mxfp4' || rec.name === 'embed') return rec.byteSize;
  const rows = rec.shape[rec.shape.length - 2], cols = rec.shape[rec.shape.length - 1];
  return mxfp4R4Bytes(rows, cols) * (rec.shape.length === 3 ? rec.shape[0] : 1);
}

export function isVector(rec: WeightRecord): boolean {
  return rec.shape.length === 1 || rec.name.endsWith('_bias');
}

/**
 * Assigns matrices to arenas 1… with `capacity` usable bytes each. Returns per-tensor arena index
 * and the bytes each arena needs.
 */
export function planArenas(records: WeightRecord[], capacity: number): { where: Map<string, number>; sizes: number[] } {
  const where = new Map<string, number>();
  const sizes: number[] = [];
  for (const rec of records) {
    if (isVector(rec)) continue;
    const need = Math.ceil(bytesOf(rec) / 64) * 64;
    if (need > capacity) {
      throw new Error(`tensor ${rec.name} (${rec.byteSize} bytes) does not fit one weight arena (${capacity} usable bytes)`);
    }
    let a = sizes.findIndex((s) => s + need <= capacity);
    if (a < 0) { a = sizes.length; sizes.push(0); }
    sizes[a] += need;
    where.set(rec.name, a + 1);
  }
  return { where, sizes };
}
