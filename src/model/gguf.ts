// The GGUF container (spec §7.1), parsed as hostile input: magic and version first, then every
// count, string length and array length checked against the bytes that remain before it is used;
// tensor infos checked for known types, sane dims, exact sizes and alignment, and the data section
// checked to hold exactly those tensors in header order (llama.cpp's rule) with zero padding.
import { Cursor } from './cursor.ts';
import { FORMATS, type Format } from './formats.ts';
import { ModelFile } from './io.ts';

export const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
export const GGUF_DEFAULT_ALIGNMENT = 32;
const MAX_DIMS = 4; // GGML_MAX_DIMS
// Longest metadata array we materialise: o200k's merges are ~450k; a count beyond this is a lie
// (and a JS array cannot hold more than 2^32 − 1 elements anyway).
const MAX_ARRAY = 1 << 24;

/** Metadata value types (spec §7.1). */
export const GgufType = {
  U8: 0, I8: 1, U16: 2, I16: 3, U32: 4, I32: 5, F32: 6, BOOL: 7, STRING: 8, ARRAY: 9, U64: 10, I64: 11, F64: 12,
} as const;
/** Smallest encoded size of one value of each type (a string is at least its u64 length). */
const MIN_SIZE = [1, 1, 2, 2, 4, 4, 4, 1, 8, 12, 8, 8, 8];

/**
 * GGML tensor types we can size (spec §7.1): block size and bytes per block. Those with a
 * `format` are loadable; the rest are known so that the error can name them.
 */
export const GGML_TYPES: Record<number, { name: string; blockElems: number; blockBytes: number; format?: Format }> = {
  2: { name: 'Q4_0', blockElems: 32, blockBytes: 18 },
  3: { name: 'Q4_1', blockElems: 32, blockBytes: 20 },
  6: { name: 'Q5_0', blockElems: 32, blockBytes: 22 },
  7: { name: 'Q5_1', blockElems: 32, blockBytes: 24 },
  9: { name: 'Q8_1', blockElems: 32, blockBytes: 36 },
  10: { name: 'Q2_K', blockElems: 256, blockBytes: 84 },
  11: { name: 'Q3_K', blockElems: 256, blockBytes: 110 },
  12: { name: 'Q4_K', blockElems: 256, blockBytes: 144 },
  13: { name: 'Q5_K', blockElems: 256, blockBytes: 176 },
  14: { name: 'Q6_K', blockElems: 256, blockBytes: 210 },
  15: { name: 'Q8_K', blockElems: 256, blockBytes: 292 },
  20: { name: 'IQ4_NL', blockElems: 32, blockBytes: 18 },
  24: { name: 'I8', blockElems: 1, blockBytes: 1 },
  25: { name: 'I16', blockElems: 1, blockBytes: 2 },
  26: { name: 'I32', blockElems: 1, blockBytes: 4 },
  27: { name: 'I64', blockElems: 1, blockBytes: 8 },
  28: { name: 'F64', blockElems: 1, blockBytes: 8 },
  // the loadable ones come from the format traits (formats.ts), the one place a format is defined
  ...Object.fromEntries((Object.keys(FORMATS) as Format[]).map((f) => [FORMATS[f].ggmlType,
    { name: f.toUpperCase(), blockElems: FORMATS[f].blockElems, blockBytes: FORMATS[f].blockBytes, format: f }])),
};

export interface GgufTensorInfo {
  name: string;
  /** GGML order, innermost first. */
  ne: number[];
  type: number;
  /** Absolute file offset. */
  offset: number;
  byteSize: number;
}

export interface GgufFile {
  version: number;
  /** Key → value in file order: numbers (bigint only for u64/i64 beyond 2^53), strings, booleans, arrays. */
  metadata: Record<string, unknown>;
  tensors: GgufTensorInfo[];
  alignment: number;
  dataOffset: number;
}

function readValue(cur: Cursor, type: number, what: string): unknown {
  switch (type) {
    case GgufType.U8: return cur.u8(what);
    case GgufType.I8: return cur.i8(what);
    case GgufType.U16: return cur.u16(what);
    case GgufType.I16: return cur.i16(what);
    case GgufType.U32: return cur.u32(what);
    case GgufType.I32: return cur.i32(what);
    case GgufType.F32: return cur.f32(what);
    case GgufType.F64: return cur.f64(what);
    case GgufType.BOOL: {
      const b = cur.u8(what);
      if (b > 1) cur.fail(`${what}: bool byte ${b} is not 0 or 1`);
      return b === 1;
    }
    case GgufType.STRING: return cur.string(what);
    case GgufType.U64: case GgufType.I64: {
      const v = type === GgufType.U64 ? cur.u64big(what) : cur.i64big(what);
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
    case GgufType.ARRAY: {
      const et = cur.u32(`${what} element type`);
      if (et === GgufType.ARRAY) cur.fail(`${what}: nested arrays are not supported`);
      if (et >= MIN_SIZE.length) cur.fail(`${what}: unknown array element type ${et}`);
      const n = cur.u64(`${what} count`);
      if (n * MIN_SIZE[et] > cur.remaining) cur.fail(`${what}: array of ${n} elements cannot fit in the ${cur.remaining} bytes left`);
      if (n > MAX_ARRAY) cur.fail(`${what}: array of ${n} elements is implausibly long (limit ${MAX_ARRAY})`);
      const out = new Array(n);
      for (let i = 0; i < n; i++) out[i] = readValue(cur, et, what);
      return out;
    }
    default:
      return cur.fail(`${what}: unknown value type ${type}`);
  }
}

type Info = Omit<GgufTensorInfo, 'offset'> & { rel: number };

const typeAndShape = (t: Info) => `${GGML_TYPES[t.type].name} [${t.ne}] (${t.byteSize} bytes)`;

/**
 * The data section holds exactly the tensors in header order, each padded to the alignment, as
 * llama.cpp's gguf_init requires ("tensor '…' has offset …, expected …"), then nothing: so a
 * damaged type, shape, offset or tensor count cannot go unseen. The padding must be zero, which
 * also catches a type change that a tensor's padding would absorb (F32 → F16 of 16 bytes).
 */
function checkLayout(file: ModelFile, infos: Info[], dataOffset: number, alignment: number, cur: Cursor): void {
  const pad = (n: number) => Math.ceil(n / alignment) * alignment;
  const dataLen = file.size - dataOffset;
  const nextStart = (i: number) => (i + 1 < infos.length ? infos[i + 1].rel : dataLen);
  // Tensor i's declared size accounts for the bytes up to the next tensor (the last: up to the end of the file).
  const fits = (i: number) => {
    const end = infos[i].rel + infos[i].byteSize, next = nextStart(i);
    return i + 1 < infos.length ? next === pad(end) : next >= end && next <= pad(end);
  };
  if (infos.length && infos[0].rel !== 0) {
    cur.fail(`data offset ${infos[0].rel}, expected 0 (the first tensor in the header starts the data section)`, infos[0].name);
  }
  for (let i = 0; i < infos.length; i++) {
    const t = infos[i], end = t.rel + t.byteSize;
    if (dataOffset + end > file.size) {
      cur.fail(`truncated: ${typeAndShape(t)} at [${dataOffset + t.rel}, ${dataOffset + end}) extends past the end of the file (${file.size} bytes)`, t.name);
    }
    if (fits(i)) continue;
    if (i + 1 < infos.length && !fits(i + 1)) {
      // Both neighbours of the next tensor's offset disagree with it: the offset is the damage.
      const n = infos[i + 1];
      cur.fail(`data offset ${n.rel} ${dataOffset + n.rel > file.size ? 'is past the end of the file; ' : ''}expected ${pad(end)} (right after ${t.name}: ${typeAndShape(t)}, padded to ${alignment})`, n.name);
    }
    const next = nextStart(i);
    if (i + 1 < infos.length) {
      cur.fail(`${typeAndShape(t)} take ${pad(end) - t.rel} bytes padded, but the next tensor (${infos[i + 1].name}) starts ${next - t.rel} bytes after this one: the type or shape is damaged`, t.name);
    }
    cur.fail(`${typeAndShape(t)} end at data offset ${end} but the file has ${next - pad(end)} more bytes after its padding: the type or shape is damaged, or the header lists too few tensors`, t.name);
  }
  // The padding between tensors, read now: small reads next to data about to be loaded.
  for (let i = 0; i < infos.length; i++) {
    const from = infos[i].rel + infos[i].byteSize, to = nextStart(i);
    if (to === from) continue;
    const gap = file.bytes(dataOffset + from, to - from, infos[i].name);
    const k = gap.findIndex((b) => b !== 0);
    if (k >= 0) {
      cur.fail(`byte ${gap[k]} at offset ${dataOffset + from + k} in the zero padding after the data of ${typeAndShape(infos[i])}: the type or shape is damaged`, infos[i].name);
    }
  }
}

export function readGguf(file: ModelFile): GgufFile {
  const cur = new Cursor(file);
  const magic = cur.u32('magic');
  if (magic !== GGUF_MAGIC) cur.fail(`bad magic 0x${magic.toString(16).padStart(8, '0')} (not a GGUF file)`);
  const version = cur.u32('version');
  if (version !== 2 && version !== 3) cur.fail(`unsupported GGUF version ${version} (need 2 or 3)`);
  const nTensors = cur.u64('tensor count');
  const nKv = cur.u64('metadata count');
  // Each kv is at least key length + type + 1 byte; each tensor info at least 8+4+8+4+8 bytes.
  if (nKv * 13 > cur.remaining) cur.fail(`truncated or corrupt: metadata count ${nKv} cannot fit in a ${file.size}-byte file`);
  if (nTensors * 32 > cur.remaining) cur.fail(`truncated or corrupt: tensor count ${nTensors} cannot fit in a ${file.size}-byte file`);

  // No prototype: a key such as "__proto__" in a hostile file stays an ordinary key.
  const metadata: Record<string, unknown> = Object.create(null);
  for (let i = 0; i < nKv; i++) {
    const key = cur.string(`metadata key #${i}`);
    if (Object.hasOwn(metadata, key)) cur.fail(`duplicate metadata key ${key}`);
    const type = cur.u32(`type of ${key}`);
    metadata[key] = readValue(cur, type, key);
  }
  let alignment = GGUF_DEFAULT_ALIGNMENT;
  if ('general.alignment' in metadata) {
    const a = metadata['general.alignment'];
    if (typeof a !== 'number' || a <= 0 || (a & (a - 1)) !== 0) cur.fail(`general.alignment ${String(a)} is not a power of two`);
    alignment = a as number;
  }

  const infos: Info[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < nTensors; i++) {
    const name = cur.string(`tensor name #${i}`);
    if (seen.has(name)) cur.fail('duplicate tensor', name);
    seen.add(name);
    const nd = cur.u32(`${name} n_dims`);
    if (nd < 1 || nd > MAX_DIMS) cur.fail(`n_dims ${nd} outside 1..${MAX_DIMS}`, name);
    const ne: number[] = [];
    let elems = 1;
    for (let d = 0; d < nd; d++) {
      const v = cur.u64(`${name} ne[${d}]`);
      if (v < 1) cur.fail(`ne[${d}] is 0`, name);
      elems *= v;
      if (elems > Number.MAX_SAFE_INTEGER) cur.fail('element count overflows', name);
      ne.push(v);
    }
    const type = cur.u32(`${name} type`);
    const t = GGML_TYPES[type];
    if (!t) cur.fail(`unknown GGML type id ${type}`, name);
    if (ne[0] % t.blockElems !== 0) cur.fail(`ne[0] = ${ne[0]} is not a multiple of the ${t.name} block size ${t.blockElems}`, name);
    const byteSize = (elems / t.blockElems) * t.blockBytes;
    const rel = cur.u64(`${name} offset`);
    if (rel % alignment !== 0) cur.fail(`data offset ${rel} is not a multiple of the alignment ${alignment}`, name);
    infos.push({ name, ne, type, byteSize, rel });
  }

  const dataOffset = Math.ceil(cur.pos / alignment) * alignment;
  // Writers zero-fill (llama.cpp, gguf-py, Ollama): other bytes here are the tail of a tensor info
  // the header no longer counts, or damage.
  while (cur.pos < dataOffset) {
    const at = cur.pos, b = cur.u8('padding before the data section');
    if (b !== 0) cur.fail(`byte ${b} at offset ${at} in the zero padding before the data section (tensor count or tensor infos damaged)`);
  }
  checkLayout(file, infos, dataOffset, alignment, cur);
  const tensors = infos.map(({ rel, ...t }) => ({ ...t, offset: dataOffset + rel }));
  return { version, metadata, tensors, alignment, dataOffset };
}
