// Test-side GGUF surgery: a small independent parser that says where every header field and every
// tensor's bytes lie (so damage can be aimed and classified), and a builder that lays a GGUF out
// again from a metadata block and tensor blobs (so a file can lie consistently).
import { u32le, u64le } from './model-files.ts';

/** Byte sizes of the scalar metadata types (spec §7.1); 8 string, 9 array are variable. */
const SCALAR = [1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8];
/** GGML type id → [block elements, block bytes], the types the goldens and the writer use (spec §7.1). */
export const GGML: Record<number, [number, number]> = { 0: [1, 4], 1: [1, 2], 2: [32, 18], 8: [32, 34], 30: [1, 2], 39: [32, 17] };
export const T = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8, BF16: 30, MXFP4: 39 } as const;

export interface KvField { key: string; at: number; keyAt: number; typeAt: number; valueAt: number; end: number; type: number; elemType?: number }
export interface InfoField {
  name: string; at: number; ndAt: number; neAt: number; typeAt: number; offsetAt: number; end: number;
  ne: number[]; type: number; rel: number; byteSize: number;
}
export interface GgufLayout {
  bytes: Uint8Array; nTensors: number; nKv: number; kvs: KvField[]; infos: InfoField[];
  infoStart: number; infoEnd: number; dataOffset: number; alignment: number;
}

export function ggufLayout(bytes: Uint8Array): GgufLayout {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 8;
  const u32 = () => { const v = dv.getUint32(p, true); p += 4; return v; };
  const u64 = () => { const v = Number(dv.getBigUint64(p, true)); p += 8; return v; };
  const str = () => { const n = u64(); const s = new TextDecoder().decode(bytes.subarray(p, p + n)); p += n; return s; };
  const skip = (type: number) => {
    if (type === 8) { const n = u64(); p += n; return; }
    if (type === 9) { const et = u32(), n = u64(); for (let i = 0; i < n; i++) skip(et); return; }
    p += SCALAR[type];
  };
  const nTensors = u64(), nKv = u64();
  const kvs: KvField[] = [];
  let alignment = 32;
  for (let i = 0; i < nKv; i++) {
    const at = p, key = str();
    const typeAt = p, type = u32(), valueAt = p;
    const elemType = type === 9 ? dv.getUint32(p, true) : undefined;
    if (key === 'general.alignment') alignment = dv.getUint32(p, true);
    skip(type);
    kvs.push({ key, at, keyAt: at + 8, typeAt, valueAt, end: p, type, elemType });
  }
  const infoStart = p;
  const infos: InfoField[] = [];
  for (let i = 0; i < nTensors; i++) {
    const at = p, name = str(), ndAt = p, nd = u32(), neAt = p;
    const ne = Array.from({ length: nd }, u64);
    const typeAt = p, type = u32(), offsetAt = p, rel = u64();
    const [be, bb] = GGML[type] ?? [1, 0];
    const byteSize = (ne.reduce((a, b) => a * b, 1) / be) * bb;
    infos.push({ name, at, ndAt, neAt, typeAt, offsetAt, end: p, ne, type, rel, byteSize });
  }
  const infoEnd = p;
  return { bytes, nTensors, nKv, kvs, infos, infoStart, infoEnd, dataOffset: Math.ceil(p / alignment) * alignment, alignment };
}

export interface Blob { name: string; ne: number[]; type: number; data: Uint8Array }

/** The tensors of a layout with their data bytes, in header order. */
export function blobs(l: GgufLayout): Blob[] {
  return l.infos.map((t) => ({ name: t.name, ne: t.ne, type: t.type, data: l.bytes.subarray(l.dataOffset + t.rel, l.dataOffset + t.rel + t.byteSize) }));
}

/** One metadata entry's bytes: key, u32 type, then the value's bytes as given. */
export function kvEntry(key: string, type: number, value: ArrayLike<number>): Uint8Array {
  const k = new TextEncoder().encode(key);
  const out = new Uint8Array(8 + k.length + 4 + value.length);
  out.set(u64le(BigInt(k.length)));
  out.set(k, 8);
  out.set(u32le(type), 8 + k.length);
  out.set(value as number[], 12 + k.length);
  return out;
}

/**
 * A consistent GGUF v3: the metadata block of `l` (as raw bytes) plus `extraKv` entries, and
 * `tensors`, laid out back to back at `alignment` (state a non-default one in `extraKv` too).
 */
export function buildGguf(l: GgufLayout, tensors: Blob[], o: { extraKv?: Uint8Array[]; alignment?: number } = {}): Uint8Array {
  const enc = new TextEncoder();
  const alignment = o.alignment ?? l.alignment;
  const extra = o.extraKv ?? [];
  const info: Uint8Array[] = [];
  let rel = 0;
  const pad = (n: number) => Math.ceil(n / alignment) * alignment;
  for (const t of tensors) {
    const name = enc.encode(t.name);
    info.push(u64le(BigInt(name.length)), name, u32le(t.ne.length), ...t.ne.map((d) => u64le(BigInt(d))), u32le(t.type), u64le(BigInt(rel)));
    rel += pad(t.data.length);
  }
  const head = [l.bytes.subarray(0, 8), u64le(BigInt(tensors.length)), u64le(BigInt(l.nKv + extra.length)), l.bytes.subarray(24, l.infoStart), ...extra, ...info];
  const headLen = head.reduce((s, b) => s + b.length, 0);
  const dataOffset = pad(headLen);
  const out = new Uint8Array(dataOffset + rel);
  let at = 0;
  for (const b of head) { out.set(b, at); at += b.length; }
  at = dataOffset;
  for (const t of tensors) { out.set(t.data, at); at += pad(t.data.length); }
  return out;
}
