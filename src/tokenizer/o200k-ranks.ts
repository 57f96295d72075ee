// o200k_base's 199,998 ranks (spec §5.1), read from the file the pinned `tiktoken` package ships
// (encoders/o200k_base.json: "<first token> <first rank> <base64> <base64> …"), so nothing is
// downloaded. All token bytes live in one buffer, found through an open-addressing hash table of
// ids: ~4.5 MB in all (a Map of 200k strings took 20 MB of heap, and a copy sits in every worker),
// and a rank is looked up from a slice of a pre-token without making a string of the slice.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { TokenizerError } from './types.ts';

export interface O200kRanks {
  /** Number of ranks (ids 0 … count − 1). */
  count: number;
  /** Token bytes by rank: `bytes.subarray(offsets[id], offsets[id + 1])`. */
  bytes: Uint8Array;
  offsets: Uint32Array;
  /** Longest token in bytes (128): a prompt of B bytes has at least B / maxBytes tokens. */
  maxBytes: number;
  /** Hash slots → id, or −1 (size a power of two, at most half full). */
  table: Int32Array;
}

const B64 = new Int8Array(128).fill(-1);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries()) B64[c.charCodeAt(0)] = i;

export function loadO200kRanks(): O200kRanks {
  const path = createRequire(import.meta.url).resolve('tiktoken/encoders/o200k_base.json');
  const file = JSON.parse(readFileSync(path, 'utf8')) as { bpe_ranks?: unknown };
  const text = file.bpe_ranks;
  if (typeof text !== 'string') throw new TokenizerError(`${path}: not a tiktoken encoder file`);
  const second = text.indexOf(' ', text.indexOf(' ') + 1);
  if (text.slice(text.indexOf(' ') + 1, second) !== '0') throw new TokenizerError(`${path}: the ranks do not start at 0`);
  // Decode every base64 field straight into one buffer (no per-token strings).
  const bytes = new Uint8Array(Math.ceil(((text.length - second) * 3) / 4));
  const offsets: number[] = [0];
  let at = 0, acc = 0, bits = 0;
  for (let i = second + 1; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x20;
    if (c === 0x20) { offsets.push(at); acc = 0; bits = 0; continue; }
    if (c === 0x3d) continue; // '=' padding
    const v = c < 128 ? B64[c] : -1;
    if (v < 0) throw new TokenizerError(`${path}: a rank is not base64 (character ${JSON.stringify(text[i])})`);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) { bits -= 8; bytes[at++] = (acc >> bits) & 0xff; }
  }
  const count = offsets.length - 1;
  const offs = Uint32Array.from(offsets);
  let maxBytes = 0;
  for (let id = 0; id < count; id++) maxBytes = Math.max(maxBytes, offs[id + 1] - offs[id]);
  let size = 1;
  while (size < 2 * count) size <<= 1;
  const table = new Int32Array(size).fill(-1);
  for (let id = 0; id < count; id++) {
    let h = hashBytes(bytes, offs[id], offs[id + 1]) & (size - 1);
    while (table[h] >= 0) h = (h + 1) & (size - 1);
    table[h] = id;
  }
  return { count, bytes: bytes.slice(0, at), offsets: offs, maxBytes, table };
}

// FNV-1a over bytes; the same over the char codes of a binary string (one char per byte).
function hashBytes(b: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return h >>> 0;
}

/** The rank of the bytes `bin[a … b)` (a binary string: one char per byte), or −1. */
export function rankOf(r: O200kRanks, bin: string, a: number, b: number): number {
  let h = 0x811c9dc5;
  for (let i = a; i < b; i++) h = Math.imul(h ^ bin.charCodeAt(i), 0x01000193);
  const mask = r.table.length - 1;
  const { bytes, offsets, table } = r;
  for (let slot = (h >>> 0) & mask; ; slot = (slot + 1) & mask) {
    const id = table[slot];
    if (id < 0) return -1;
    const off = offsets[id];
    if (offsets[id + 1] - off !== b - a) continue;
    let k = 0;
    while (k < b - a && bytes[off + k] === bin.charCodeAt(a + k)) k++;
    if (k === b - a) return id;
  }
}

const ASCII = /^[\x00-\x7f]*$/;
const utf8 = new TextEncoder();

/** The UTF-8 bytes of well-formed text as a binary string (ASCII text is its own). */
export function binaryUtf8(text: string): string {
  if (ASCII.test(text)) return text;
  const b = utf8.encode(text);
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode.apply(null, b.subarray(i, i + 8192) as unknown as number[]);
  return s;
}
