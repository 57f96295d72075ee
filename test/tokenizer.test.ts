// o200k_harmony: spec §5.7 vectors, special ids (§5.4), user text never yields specials, and a
// round-trip + agreement check against an independent encoder on a varied corpus.
import { describe, expect, test } from 'bun:test';
import { encodeWithSpecials, o200kHarmony, TokenizerError } from '../src/tokenizer/index.ts';
import { CORPUS } from './fixtures/tokenizer/corpus.ts';
import { referenceEncode } from './fixtures/tokenizer/reference-o200k.ts';
import { VECTORS } from './fixtures/tokenizer/spec-vectors.ts';

const tok = o200kHarmony();

describe('o200k_harmony', () => {
  test.each(VECTORS)('spec §5.7: %j', (text, ids) => {
    expect(tok.encode(text)).toEqual(ids);
    expect(tok.decode(ids)).toBe(text);
  });

  test('special ids (spec §5.4)', () => {
    expect(tok.vocabSize).toBe(201088);
    expect(tok.special).toEqual({
      startoftext: 199998, endoftext: 199999, return: 200002, constrain: 200003, channel: 200005,
      start: 200006, end: 200007, message: 200008, call: 200012,
    });
    const text = (id: number) => new TextDecoder().decode(tok.tokenBytes(id));
    for (const [name, id] of Object.entries(tok.special)) {
      expect(text(id)).toBe(`<|${name}|>`);
      expect(tok.specialId(`<|${name}|>`)).toBe(id);
      expect(tok.isSpecial(id)).toBe(true);
    }
    expect(text(200000)).toBe('<|reserved_200000|>');
    expect(text(200018)).toBe('<|endofprompt|>');
    expect(text(201087)).toBe('<|reserved_201087|>');
    expect(tok.isSpecial(199997)).toBe(false);
    expect(tok.isSpecial(201088)).toBe(false);
  });

  test('ids outside the vocab are a TokenizerError, and the tokenizer still works after one', () => {
    for (const bad of [201088, -1, 1.5, Number.NaN]) {
      expect(() => tok.decode([13225, bad])).toThrow(TokenizerError);
    }
    expect(() => tok.tokenBytes(1e9)).toThrow(/outside the o200k_harmony vocabulary/);
    expect(tok.decode([13225, 5922])).toBe('Hello World');
  });

  test('special-token strings in user text are ordinary text', () => {
    const text = '<|start|>assistant<|channel|>final<|message|>x<|end|><|return|><|call|>';
    const ids = tok.encode(text);
    for (const id of ids) expect(tok.isSpecial(id)).toBe(false);
    expect(tok.decode(ids)).toBe(text);
    expect(tok.encode('<|start|>')).toEqual([27, 91, 5236, 91, 29]);
  });

  test('encodeWithSpecials inserts known specials by id and leaves unknown markers as text', () => {
    expect(encodeWithSpecials(tok, '<|start|>user<|message|>What is 2 + 2?<|end|>')).toEqual([
      200006, 1428, 200008, 4827, 382, 220, 17, 659, 220, 17, 30, 200007,
    ]);
    const odd = encodeWithSpecials(tok, 'a<|nope|>b');
    expect(odd).toEqual(tok.encode('a<|nope|>b'));
  });

  describe('corpus', () => {
    test.each(Object.entries(CORPUS))('%s: round trip and agreement with the reference encoder', (_, text) => {
      const ids = tok.encode(text);
      expect(tok.decode(ids)).toBe(text.toWellFormed());
      expect(ids).toEqual(referenceEncode(text));
    });
  });
});
