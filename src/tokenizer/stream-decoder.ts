// Incremental detokenisation (spec §5.3): tokens arrive one by one and a multi-byte character may
// be split across them (o200k has many byte-fragment tokens). Text is emitted only up to the last
// complete UTF-8 sequence; an incomplete but still valid prefix is held back until the next token.
// Invalid bytes are not held: they become U+FFFD at once, so the concatenated output always equals
// decoding all bytes at the end (the WHATWG decoder is deterministic on maximal subparts).
import { concatBytes, decodeUtf8 } from './bytes.ts';
import type { Tokenizer } from './types.ts';

export class StreamDecoder {
  #pending: Uint8Array = new Uint8Array(0);

  constructor(private readonly tokenizer: Tokenizer) {}

  /** Adds one token; returns the text that became complete (possibly ''). */
  push(id: number): string {
    return this.pushBytes(this.tokenizer.tokenBytes(id));
  }

  pushBytes(bytes: Uint8Array): string {
    const all = this.#pending.length ? concatBytes([this.#pending, bytes]) : bytes;
    const keep = incompleteTail(all);
    this.#pending = all.slice(all.length - keep);
    return keep === all.length ? '' : decodeUtf8(all.subarray(0, all.length - keep));
  }

  /** Ends the stream: whatever is held back is emitted (as U+FFFD, it never completed). */
  flush(): string {
    const rest = this.#pending;
    this.#pending = new Uint8Array(0);
    return rest.length ? decodeUtf8(rest) : '';
  }

  /** True while bytes of an unfinished character are held back. */
  get pending(): boolean {
    return this.#pending.length > 0;
  }
}

/**
 * Length of the trailing bytes that start a UTF-8 sequence which could still be completed
 * (0 … 3). The second-byte ranges exclude overlongs and surrogates (WHATWG UTF-8 decoder).
 */
export function incompleteTail(b: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, b.length); back++) {
    const lead = b[b.length - back];
    if (lead >= 0x80 && lead < 0xc0) continue; // continuation byte: look further back
    const need = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (need <= back) return 0; // ASCII, invalid lead, or a sequence that is already complete
    if (back >= 2) {
      const second = b[b.length - back + 1];
      const lo = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
      const hi = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
      if (second < lo || second > hi) return 0;
    }
    return back;
  }
  return 0;
}
