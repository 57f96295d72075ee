// GGUF metadata values on the writing side: typing a JS value as a GGUF value (spec §7.1) and
// encoding values into a growing header buffer.
import { GgufType } from './gguf.ts';
import { assert } from './io.ts';

const utf8 = new TextEncoder();

export type Kv = { key: string; type: number; value: unknown; elemType?: number };

// llama.cpp's types for the tokenizer keys; anything else is inferred from the JS value.
const KNOWN_TYPES: Record<string, [number, number?]> = {
  'tokenizer.ggml.tokens': [GgufType.ARRAY, GgufType.STRING],
  'tokenizer.ggml.merges': [GgufType.ARRAY, GgufType.STRING],
  'tokenizer.ggml.token_type': [GgufType.ARRAY, GgufType.I32],
  'tokenizer.ggml.scores': [GgufType.ARRAY, GgufType.F32],
  'tokenizer.ggml.eos_token_ids': [GgufType.ARRAY, GgufType.I32],
};

function inferType(v: unknown, key: string): number {
  if (typeof v === 'string') return GgufType.STRING;
  if (typeof v === 'boolean') return GgufType.BOOL;
  if (typeof v === 'bigint') return v < 0n ? GgufType.I64 : GgufType.U64;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return GgufType.F32;
    if (v >= 0 && v <= 0xffffffff) return GgufType.U32;
    if (v >= -0x80000000 && v < 0) return GgufType.I32;
    return v < 0 ? GgufType.I64 : GgufType.U64;
  }
  throw new Error(`gguf-write: cannot infer a GGUF type for ${key} = ${String(v)}`);
}

/** A metadata entry with its GGUF type: the tokenizer table above, else inferred from the value. */
export function typedValue(key: string, value: unknown): Kv {
  const known = KNOWN_TYPES[key];
  if (known) return { key, type: known[0], value, elemType: known[1] };
  if (Array.isArray(value)) {
    const elemType = value.length ? inferType(value[0], key) : GgufType.I32;
    return { key, type: GgufType.ARRAY, value, elemType };
  }
  return { key, type: inferType(value, key), value };
}

export class ByteBuilder {
  buf = new Uint8Array(1 << 16);
  len = 0;
  private ensure(n: number): DataView {
    if (this.len + n > this.buf.length) {
      const b = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
      b.set(this.buf.subarray(0, this.len));
      this.buf = b;
    }
    return new DataView(this.buf.buffer, this.len, n);
  }
  scalar(type: number, v: unknown): void {
    const n = [1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8][type];
    const dv = this.ensure(n);
    switch (type) {
      case GgufType.U8: dv.setUint8(0, v as number); break;
      case GgufType.I8: dv.setInt8(0, v as number); break;
      case GgufType.U16: dv.setUint16(0, v as number, true); break;
      case GgufType.I16: dv.setInt16(0, v as number, true); break;
      case GgufType.U32: dv.setUint32(0, v as number, true); break;
      case GgufType.I32: dv.setInt32(0, v as number, true); break;
      case GgufType.F32: dv.setFloat32(0, v as number, true); break;
      case GgufType.BOOL: dv.setUint8(0, v ? 1 : 0); break;
      case GgufType.U64: dv.setBigUint64(0, BigInt(v as number), true); break;
      case GgufType.I64: dv.setBigInt64(0, BigInt(v as number), true); break;
      case GgufType.F64: dv.setFloat64(0, v as number, true); break;
      default: throw new Error(`gguf-write: bad scalar type ${type}`);
    }
    this.len += n;
  }
  string(s: string): void {
    const b = utf8.encode(s);
    this.scalar(GgufType.U64, b.length);
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  value(type: number, v: unknown, elemType?: number): void {
    if (type === GgufType.STRING) return this.string(v as string);
    if (type !== GgufType.ARRAY) return this.scalar(type, v);
    const a = v as unknown[];
    assert(elemType !== undefined && elemType !== GgufType.ARRAY, 'array element type');
    this.scalar(GgufType.U32, elemType);
    this.scalar(GgufType.U64, a.length);
    for (const x of a) this.value(elemType, x);
  }
  pad(alignment: number): void {
    const n = (alignment - (this.len % alignment)) % alignment;
    this.ensure(n);
    this.buf.fill(0, this.len, this.len + n);
    this.len += n;
  }
}
