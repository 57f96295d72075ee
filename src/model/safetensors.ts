// The safetensors container (spec §2.2): u64 header length, a JSON header, then the data section.
// The file is hostile input: the header size is capped, every entry is type-checked, and the data
// ranges must lie inside the file and tile the data section without overlap or gaps, up to the
// last byte of the file.
import { ModelFile, errorText } from './io.ts';
import { ModelLoadError } from './types.ts';

/** The reference reader's cap on the JSON header. */
export const MAX_HEADER_BYTES = 100 << 20;

/** Bits per element of every dtype the format defines (spec §2.2). */
export const DTYPE_BITS: Record<string, number> = {
  BOOL: 8, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8, I16: 16, U16: 16, F16: 16, BF16: 16,
  I32: 32, U32: 32, F32: 32, I64: 64, U64: 64, F64: 64, F4: 4, F6_E2M3: 6, F6_E3M2: 6,
};

export interface StEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** Absolute file offset of the first byte. */
  offset: number;
  byteSize: number;
  file: ModelFile;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and checks one .safetensors header; the entries point into `file`. */
export function readSafetensorsHeader(file: ModelFile): StEntry[] {
  const bad = (tensor: string | null, problem: string): never => {
    throw new ModelLoadError(file.path, tensor, problem);
  };
  if (file.size < 8) bad(null, `truncated: ${file.size} bytes is too short for a safetensors file`);
  const n = new DataView(file.bytes(0, 8).buffer).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) bad(null, `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit (corrupt or not safetensors)`);
  const hlen = Number(n);
  if (8 + hlen > file.size) bad(null, `truncated: header claims ${hlen} bytes but the file has only ${file.size - 8} after the length`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(file.bytes(8, hlen)));
  } catch (e) {
    bad(null, `header is not valid UTF-8 JSON: ${errorText(e)}`);
  }
  if (!isObj(header)) return bad(null, 'header is not a JSON object');

  const dataStart = 8 + hlen;
  const dataLen = file.size - dataStart;
  const out: StEntry[] = [];
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (!isObj(v)) bad(name, 'header entry is not an object');
    const { dtype, shape, data_offsets: offs } = v as Record<string, unknown>;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BITS)) bad(name, `unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) bad(name, `bad shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0) || offs[0] > offs[1]) {
      bad(name, `bad data_offsets ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as number[];
    let elems = 1;
    for (const d of shape as number[]) elems *= d;
    const bits = elems * DTYPE_BITS[dtype as string];
    if (!Number.isSafeInteger(bits) || bits % 8 !== 0) bad(name, `shape ${JSON.stringify(shape)} is not a whole number of bytes of ${dtype}`);
    if (end - begin !== bits / 8) bad(name, `data_offsets span ${end - begin} bytes but ${dtype}${JSON.stringify(shape)} needs ${bits / 8}`);
    if (end > dataLen) bad(name, `truncated: data ends at byte ${dataStart + end} but the file has ${file.size} bytes`);
    out.push({ name, dtype: dtype as string, shape: shape as number[], offset: dataStart + begin, byteSize: end - begin, file });
  }
  // Tiling: sorted by start, each range must begin exactly where the previous one ended.
  const sorted = [...out].sort((a, b) => a.offset - b.offset || a.byteSize - b.byteSize);
  let at = dataStart;
  for (const e of sorted) {
    if (e.offset < at) bad(e.name, `data range [${e.offset - dataStart}, ${e.offset - dataStart + e.byteSize}) overlaps the previous tensor`);
    if (e.offset > at) bad(e.name, `gap of ${e.offset - at} bytes before this tensor's data (ranges must tile the data section)`);
    at = e.offset + e.byteSize;
  }
  // …and end exactly at the end of the file, as the reference reader requires
  // (MetadataIncompleteBuffer): a header length that stops short inside the JSON's trailing
  // padding spaces still parses, but would shift every tensor by the missing bytes.
  if (at !== file.size) {
    bad(sorted.at(-1)?.name ?? null, `the tensors' data ends at byte ${at} but the file has ${file.size} bytes: ${file.size - at} bytes are not accounted for (header length or data_offsets damaged)`);
  }
  return out;
}
