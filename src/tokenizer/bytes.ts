// Byte helpers shared by both tokenizers.
import { TokenizerError } from './types.ts';

// fatal: false → invalid sequences become U+FFFD; ignoreBOM: a leading U+FEFF is text, not a mark.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const utf8Encoder = new TextEncoder();

export function decodeUtf8(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

export function encodeUtf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Throws a TokenizerError naming the id unless 0 <= id < vocabSize (an integer). */
export function checkId(id: number, vocabSize: number, name: string): void {
  if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
    throw new TokenizerError(`token id ${id} is outside the ${name} vocabulary (0 … ${vocabSize - 1})`);
  }
}
