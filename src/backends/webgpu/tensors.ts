// The WebGPU backend's tensors, buffers and K/V caches (webgpu-backend.ts makes and uses them),
// and the checks that a Tensor handed to an operation is one of this backend's.
import type { Format } from '../../model/formats.ts';
import type { Buf, KvCache, KvSnapshot, Tensor } from '../backend.ts';
import type { RowLayout } from './layout.ts';
import type { Part } from './weight-upload.ts';
import type { KvType } from './kernels.ts';

export class GpuMatrix implements Tensor {
  readonly kind = 'matrix';
  constructor(readonly name: string, readonly shape: readonly number[], readonly format: Format,
    readonly layout: RowLayout, readonly parts: Part[]) {}
  get cols(): number { return this.shape[this.shape.length - 1]; }
  /** Rows of one matrix (one expert's for a stacked [E, rows, cols] tensor). */
  get rows(): number { return this.shape[this.shape.length - 2]; }
}

/** Placed by finish(), which packs all vectors into a few buffers. */
export class GpuVector implements Tensor {
  readonly kind = 'vector';
  buf!: GPUBuffer;
  off = 0;
  constructor(readonly name: string, readonly shape: readonly number[], readonly data: Float32Array) {}
}

export class GpuBuf implements Buf {
  constructor(readonly rows: number, readonly cols: number, readonly off: number) {}
}

export interface LayerKv { k: GPUBuffer; v: GPUBuffer; cap: number }
export class GpuKv implements KvCache {
  constructor(readonly context: number, readonly kvw: number, readonly headDim: number, readonly type: KvType, readonly layers: LayerKv[]) {}
  /** Bytes of one position's K (or V) row. */
  get rowBytes(): number { return this.kvw * (this.type === 'f32' ? 4 : 2); }
}

/** A snapshot in one GPU buffer: per layer, K then V rows from slot 0. */
export class GpuKvSnapshot implements KvSnapshot {
  constructor(readonly length: number, readonly context: number, readonly buf: GPUBuffer) {}
  get bytes(): number { return this.buf.size; }
}

export function matrix(t: Tensor, op: string): GpuMatrix {
  if (!(t instanceof GpuMatrix)) throw new Error(`${op}: ${t.name} is not a weight matrix of this backend`);
  return t;
}

export function vector(t: Tensor, op: string): GpuVector {
  if (!(t instanceof GpuVector)) throw new Error(`${op}: ${t.name} is not a weight vector of this backend`);
  return t;
}

