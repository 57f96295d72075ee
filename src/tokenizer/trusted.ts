// Encoding of TRUSTED text that spells special tokens literally (`<|start|>user<|message|>…`):
// test fixtures, `tokenize --specials`. Never for user input — the renderer inserts control
// tokens by id and encodes message text with Tokenizer.encode (spec §5.5 security note).
import type { Tokenizer } from './types.ts';

const SPECIAL_LIKE = /<\|[^|<>]{1,40}\|>/g;

export function encodeWithSpecials(tok: Tokenizer, text: string): number[] {
  const ids: number[] = [];
  let from = 0;
  for (const m of text.matchAll(SPECIAL_LIKE)) {
    const id = tok.specialId(m[0]);
    if (id === undefined) continue; // not a special of this vocab: stays ordinary text
    ids.push(...tok.encode(text.slice(from, m.index)), id);
    from = m.index + m[0].length;
  }
  ids.push(...tok.encode(text.slice(from)));
  return ids;
}
