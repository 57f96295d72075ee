// Where each weight lives and in which layout. Vectors (norms, biases, sinks) are converted to f32
// and kept in the activation arena (arena 0), where the element-wise kernels run; matrices go to
// weight arenas, first-fit in checkpoint order, never straddling two arenas.
import type { Format } from '../../model/formats.ts';
import { isVector, type WeightRecord } from '../../model/types.ts';
import type { Precision } from '../options.ts';
import { requantizesToQ8 } from '../requant.ts';
import { matmulKernel } from './kernels.ts';
import { layoutBytes, type Layout } from './repack.ts';

/** How a matrix is held on the CPU. */
export interface CpuLayout {
  format: Format;
  bytes: number;
  /** The layout its products read (kernels.ts), made at load (repack.ts; REFUSED may change it there). */
  layout: Layout;
  /** A float matrix re-quantised to Q8_0 at load (opt-in: half the bytes per token). */
  requant: boolean;
}

/** variant: kernels.ts VARIANTS (its kernels' layouts), baseline when absent. */
export interface LayoutOptions { precision: Precision; denseQ8?: boolean; variant?: string }

export function cpuLayout(rec: WeightRecord, o: LayoutOptions): CpuLayout {
  const rows = rec.shape[rec.shape.length - 2], cols = rec.shape[rec.shape.length - 1];
  const stack = rec.shape.length === 3 ? rec.shape[0] : 1;
  const requant = requantizesToQ8(rec, Boolean(o.denseQ8));
  const format: Format = requant ? 'q8_0' : rec.format;
  // the embedding is read a row at a time (embed), never multiplied: it keeps canonical rows
  const layout = rec.name === 'embed' ? 'rows' : matmulKernel(format, o.precision, o.variant ?? 'baseline').layout;
  return { format, bytes: layoutBytes(layout, format, rows, cols) * stack, layout, requant };
}

/**
 * Assigns matrices to arenas 1… with `capacity` usable bytes each. Returns per-tensor arena index
 * and the bytes each arena needs.
 */
export function planArenas(records: WeightRecord[], capacity: number, o: LayoutOptions): { where: Map<string, number>; sizes: number[] } {
  const where = new Map<string, number>();
  const sizes: number[] = [];
  for (const rec of records) {
    if (isVector(rec)) continue;
    const need = Math.ceil(cpuLayout(rec, o).bytes / 64) * 64;
    if (need > capacity) {
      throw new Error(`tensor ${rec.name} (${need} bytes) does not fit one weight arena (${capacity} usable bytes)`);
    }
    let a = sizes.findIndex((s) => s + need <= capacity);
    if (a < 0) { a = sizes.length; sizes.push(0); }
    sizes[a] += need;
    where.set(rec.name, a + 1);
  }
  return { where, sizes };
}
