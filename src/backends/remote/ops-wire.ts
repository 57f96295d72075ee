// The arguments of ops.ts on the wire, by kind: handles for backend objects, bytes for host
// arrays, plain values for the rest. Both directions derive from OPS, so a new op needs nothing here.
import { OPS, type ArgKind, type OpName } from '../ops.ts';
import { bytesF32, f32Bytes } from './frames.ts';

/** A backend object the host made: its handle. */
export interface Handled { readonly h: number }

const encoders: Record<ArgKind, (v: unknown) => unknown> = {
  tensor: (v) => (v as Handled).h,
  'tensor?': (v) => (v === null || v === undefined ? null : (v as Handled).h),
  buf: (v) => (v as Handled).h,
  kv: (v) => (v as Handled).h,
  int: (v) => v,
  num: (v) => v,
  rows: (v) => v,
  ids: (v) => { const a = v as Int32Array; return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength)); },
  f32: (v) => { const a = v as Float32Array; return f32Bytes(a, a.length); },
};

export function encodeArgs(op: OpName, args: readonly unknown[]): unknown[] {
  return OPS[op].map((kind, i) => encoders[kind](args[i]));
}

/** The child's side: `get` turns a handle back into its object. */
export function decodeArgs(op: OpName, wire: readonly unknown[], get: (h: number) => unknown): unknown[] {
  return OPS[op].map((kind: ArgKind, i) => {
    const v = wire[i];
    switch (kind) {
      case 'tensor': case 'buf': case 'kv': return get(v as number);
      case 'tensor?': return v === null ? null : get(v as number);
      case 'ids': { const b = v as Uint8Array; return new Int32Array(b.byteOffset % 4 ? b.slice().buffer : b.buffer, b.byteOffset % 4 ? 0 : b.byteOffset, b.byteLength / 4); }
      case 'f32': return bytesF32(v as Uint8Array);
      default: return v;
    }
  });
}

export function isOp(name: string): name is OpName {
  return Object.hasOwn(OPS, name);
}
