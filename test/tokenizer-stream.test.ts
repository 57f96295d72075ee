// Streaming detokenisation: output chunks never contain a broken UTF-8 sequence, and their
// concatenation is exactly the one-shot decode (spec §5.3).
import { describe, expect, test } from 'bun:test';
import { o200kHarmony, StreamDecoder } from '../src/tokenizer/index.ts';
import { incompleteTail } from '../src/tokenizer/stream-decoder.ts';
import { CORPUS } from './fixtures/tokenizer/corpus.ts';
import { randInt, rng } from './fixtures/tokenizer/random.ts';

const tok = o200kHarmony();

describe('StreamDecoder', () => {
  test.each(Object.entries(CORPUS))('%s: token by token equals one-shot decode', (_, text) => {
    const ids = tok.encode(text);
    const dec = new StreamDecoder(tok);
    const chunks = ids.map((id) => dec.push(id));
    chunks.push(dec.flush());
    expect(chunks.join('')).toBe(tok.decode(ids));
    for (const c of chunks) {
      expect(c.isWellFormed()).toBe(true);
      if (text.isWellFormed()) expect(c).not.toContain('\ufffd');
    }
  });

  test('a character split over tokens is held back until complete', () => {
    // 𓀀 (F0 93 80 80) is four byte tokens in o200k: check the split really happens, then the hold-back.
    const ids = tok.encode('𓀀');
    expect(ids.length).toBeGreaterThan(1);
    const dec = new StreamDecoder(tok);
    const out = ids.map((id) => dec.push(id));
    expect(out.slice(0, -1).every((s) => s === '')).toBe(true);
    expect(out.at(-1)).toBe('𓀀');
    expect(dec.pending).toBe(false);
  });

  test('flush turns an unfinished character into U+FFFD; invalid bytes are not held', () => {
    const dec = new StreamDecoder(tok);
    expect(dec.pushBytes(Uint8Array.of(0x61, 0xe6, 0x97))).toBe('a');
    expect(dec.pending).toBe(true);
    expect(dec.flush()).toBe('\ufffd');
    expect(dec.pushBytes(Uint8Array.of(0xff))).toBe('\ufffd');
    expect(dec.pushBytes(Uint8Array.of(0xe0, 0x80))).toBe('\ufffd\ufffd'); // overlong: cannot complete
    expect(dec.pushBytes(Uint8Array.of(0xed, 0xa0))).toBe('\ufffd\ufffd'); // surrogate range
    expect(dec.pushBytes(Uint8Array.of(0xef, 0xbb, 0xbf))).toBe('\ufeff'); // a BOM is text here
  });

  test('incompleteTail marks only valid unfinished prefixes', () => {
    expect(incompleteTail(Uint8Array.of(0xc3))).toBe(1);
    expect(incompleteTail(Uint8Array.of(0xc3, 0xa9))).toBe(0);
    expect(incompleteTail(Uint8Array.of(0xf0, 0x9f, 0x99))).toBe(3);
    expect(incompleteTail(Uint8Array.of(0xf4, 0x90))).toBe(0); // past U+10FFFF
    expect(incompleteTail(Uint8Array.of(0x80, 0x80, 0x80))).toBe(0);
  });

  test('property: random bytes in random pieces decode like the whole (WHATWG decoder)', () => {
    const seed = 20250628;
    const r = rng(seed);
    const alphabet = [0x41, 0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xc2, 0xc3, 0xdf, 0xe0, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff];
    for (let iter = 0; iter < 400; iter++) {
      const bytes = Uint8Array.from({ length: randInt(r, 24) }, () => alphabet[randInt(r, alphabet.length)]);
      const dec = new StreamDecoder(tok);
      let out = '';
      for (let at = 0; at < bytes.length; ) {
        const n = 1 + randInt(r, 4);
        out += dec.pushBytes(bytes.subarray(at, at + n));
        at += n;
      }
      out += dec.flush();
      expect({ seed, iter, out }).toEqual({ seed, iter, out: new TextDecoder().decode(bytes) });
    }
  });
});
