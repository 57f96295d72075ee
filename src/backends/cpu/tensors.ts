// The CPU backend's tensors, activation buffers and K/V caches (cpu-backend.ts makes and uses them).
import type { Format } from '../../model/formats.ts';
import type { ModelConfig } from '../../model/types.ts';
import type { Buf, KvCache, KvSnapshot, Tensor } from '../backend.ts';
import type { Arena } from './arena.ts';
import type { Layout } from './repack.ts';

export class CpuTensor implements Tensor {
  constructor(readonly name: string, readonly shape: readonly number[], readonly format: Format | 'f32vec',
    readonly arena: Arena, readonly ptr: number, readonly rowBytes: number,
    /** Bytes from one matrix of a stacked tensor to the next. */
    readonly matrixBytes = 0,
    /** How a matrix's bytes are arranged (repack.ts); its products take the kernel reading it. */
    readonly layout: Layout = 'rows') {}
  get rows(): number { return this.shape.length === 1 ? 1 : this.shape[this.shape.length - 2]; }
  get cols(): number { return this.shape[this.shape.length - 1]; }
  /** Matrix `e` of a stacked [E, rows, cols] tensor, as its own tensor (no copy). */
  slice(e: number): CpuTensor {
    const rows = this.shape[1], cols = this.shape[2];
    return new CpuTensor(`${this.name}[${e}]`, [rows, cols], this.format, this.arena, this.ptr + e * this.matrixBytes, this.rowBytes, 0, this.layout);
  }
}

export class CpuBuf implements Buf {
  constructor(readonly rows: number, readonly cols: number, readonly ptr: number) {}
  row(r: number): number { return this.ptr + r * this.cols * 4; }
}

export interface LayerCache { k: number; v: number; cap: number }
/** A session's K/V rings, in a K/V arena of their own, with staging for q, out and the sinks. */
export class CpuKv implements KvCache {
  /** Bytes of one position's row in one K/V head's ring (rings are [heads][cap][headDim]). */
  readonly headRowBytes: number;
  readonly numKvHeads: number;
  constructor(readonly context: number, readonly headDim: number, readonly arena: Arena, readonly layers: LayerCache[],
    readonly scratch: number,
    /** Bytes of one thread's attention scratch (attnScratch). */
    readonly scratchStride: number, readonly q: number, readonly out: number, readonly sinks: number,
    /** bytes per value: 4 = f32, 2 = f16 (then k/v rows stage at `kv` before conversion) */
    readonly valueBytes: number, readonly kv: number, c: ModelConfig) {
    this.headRowBytes = c.headDim * valueBytes;
    this.numKvHeads = c.numKvHeads;
  }
}

/**
 * What a snapshot of the first `length` positions holds, in order: per layer, K then V, per K/V
 * head the rows from slot 0 — as [ring address, bytes] runs.
 */
export function* kvRuns(kv: CpuKv, length: number): Generator<[number, number]> {
  for (const L of kv.layers) {
    const n = Math.min(length, L.cap) * kv.headRowBytes, ringBytes = L.cap * kv.headRowBytes;
    for (const base of [L.k, L.v]) for (let g = 0; g < kv.numKvHeads; g++) yield [base + g * ringBytes, n];
  }
}

/** A snapshot in ordinary JS memory (the collector frees it): the runs of kvRuns, one after another. */
export class CpuKvSnapshot implements KvSnapshot {
  constructor(readonly length: number, readonly context: number, readonly data: Uint8Array) {}
  get bytes(): number { return this.data.byteLength; }
}

/**
 * Per-thread attention scratch (assembly/attention.ts): a group's scores over the context, one
 * widened K row, and for f16 caches (2-byte values) a block of `vblock` widened V rows (the module's VBLOCK).
 */
export function attnScratch(c: ModelConfig, context: number, valueBytes: number, vblock: number): number {
  return Math.ceil(((c.numHeads / c.numKvHeads) * context + c.headDim + (valueBytes === 2 ? vblock * c.headDim : 0)) * 4 / 64) * 64;
}
