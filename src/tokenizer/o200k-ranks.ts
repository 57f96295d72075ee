// o200k_base's 199,998 ranks (spec §5.1), read from the file the pinned `tiktoken` package ships
// (encoders/o200k_base.json: "<first token> <first rank> <base64> <base64> …"), so nothing is
// downloaded. Tokens are kept as "binary strings" (one char per byte, U+0000 … U+00FF): a Map over
// them finds the rank of any byte slice of a pre-token without copying bytes.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { TokenizerError } from './types.ts';

export interface O200kRanks {
  /** Binary string of a token's bytes → rank (= id). */
  rank: Map<string, number>;
  /** Token bytes by rank: `bytes.subarray(offsets[id], offsets[id + 1])`. */
  bytes: Uint8Array;
  offsets: Uint32Array;
  /** Longest token in bytes (128): a prompt of B bytes has at least B / maxBytes tokens. */
  maxBytes: number;
}

export function loadO200kRanks(): O200kRanks {
  const path = createRequire(import.meta.url).resolve('tiktoken/encoders/o200k_base.json');
  const file = JSON.parse(readFileSync(path, 'utf8')) as { bpe_ranks?: unknown };
  if (typeof file.bpe_ranks !== 'string') throw new TokenizerError(`${path}: not a tiktoken encoder file`);
  const fields = file.bpe_ranks.split(' ');
  const first = Number(fields[1]);
  const count = fields.length - 2;
  if (first !== 0 || count < 256) throw new TokenizerError(`${path}: unexpected rank layout (first rank ${fields[1]}, ${count} tokens)`);
  const rank = new Map<string, number>();
  const tokens: string[] = new Array(count);
  let total = 0;
  let maxBytes = 0;
  for (let id = 0; id < count; id++) {
    const t = atob(fields[id + 2]);
    tokens[id] = t;
    rank.set(t, id);
    total += t.length;
    if (t.length > maxBytes) maxBytes = t.length;
  }
  const bytes = new Uint8Array(total);
  const offsets = new Uint32Array(count + 1);
  let at = 0;
  tokens.forEach((t, id) => {
    offsets[id] = at;
    for (let i = 0; i < t.length; i++) bytes[at++] = t.charCodeAt(i);
  });
  offsets[count] = at;
  return { rank, bytes, offsets, maxBytes };
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
