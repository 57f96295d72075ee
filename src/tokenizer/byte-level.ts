// GPT-2's byte-to-unicode alphabet (spec §5.5): how byte-level BPE vocabularies (tokenizer.json,
// GGUF `tokenizer.ggml.tokens`) spell raw bytes as printable characters. Bytes 0x21–0x7E, 0xA1–0xAC
// and 0xAE–0xFF stand for themselves; the other 68 bytes map, in order, to U+0100, U+0101, …

const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);

/** BYTE_TO_CHAR[b] = the character standing for byte b. */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const out: string[] = [];
  let next = 0x100;
  for (let b = 0; b < 256; b++) out.push(String.fromCharCode(printable(b) ? b : next++));
  return out;
})();

const CHAR_TO_BYTE = new Map<string, number>(BYTE_TO_CHAR.map((c, b) => [c, b]));

export function bytesToByteLevel(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += BYTE_TO_CHAR[b];
  return s;
}

/** The bytes a byte-level token string stands for, or null if it has a character outside the alphabet. */
export function byteLevelToBytes(token: string): Uint8Array | null {
  const out = new Uint8Array(token.length); // every alphabet character is one UTF-16 unit
  for (let i = 0; i < token.length; i++) {
    const b = CHAR_TO_BYTE.get(token[i]);
    if (b === undefined) return null;
    out[i] = b;
  }
  return out;
}
