// The tokenize / detokenize commands end to end (a real process, stdin → stdout), against ids that
// do not come from our encoder: the spec's vectors (§5.7), its special ids (§5.4) and the
// independent test-side encoder (fixtures/tokenizer/reference-o200k.ts).
import { describe, expect, test } from 'bun:test';
import { cli } from './fixtures/tokenizer/cli.ts';
import { referenceEncode } from './fixtures/tokenizer/reference-o200k.ts';
import { VECTORS } from './fixtures/tokenizer/spec-vectors.ts';

const START = 200006, END = 200007; // spec §5.4
// Every vector in one process: harmony text is tokenized piece by piece between special tokens
// (spec §6.2), so the vectors joined by <|end|> are their ids joined by 200007.
const JOINED_TEXT = VECTORS.map(([text]) => text).join('<|end|>');
const JOINED_IDS = VECTORS.flatMap(([, ids], i) => (i ? [END, ...ids] : ids));

describe('cli tokenize / detokenize', () => {
  test('tokenize --specials: every spec §5.7 vector, byte for byte from stdin', async () => {
    const r = await cli(['tokenize', '--specials'], JOINED_TEXT);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ ids: JOINED_IDS });
  });

  test('tokenize: plain text as the spec says; special-token strings stay text', async () => {
    const [text, ids] = VECTORS[2]; // the longest vector: punctuation, digits, accents, CJK, blank lines, tabs
    expect(JSON.parse((await cli(['tokenize'], text)).out)).toEqual({ ids });
    const r = await cli(['tokenize'], 'Hello World<|end|>\n');
    expect(r.code).toBe(0);
    const got = JSON.parse(r.out).ids as number[];
    expect(got).toEqual(referenceEncode('Hello World<|end|>\n'));
    expect(got.slice(0, 2)).toEqual([13225, 5922]);
    expect(got).not.toContain(END);
    expect(JSON.parse((await cli(['tokenize', '--specials'], 'Hello<|end|>')).out)).toEqual({ ids: [13225, END] });
  });

  test('detokenize: ids → exact text; a bad id is a clear error', async () => {
    expect(await cli(['detokenize'], JSON.stringify({ ids: JOINED_IDS }))).toEqual({ code: 0, out: JOINED_TEXT, err: '' });
    const r = await cli(['detokenize'], JSON.stringify({ ids: [13225, 5922, START, 198] }));
    expect(r).toEqual({ code: 0, out: 'Hello World<|start|>\n', err: '' });
    const bad = await cli(['detokenize'], '{"ids": [201088]}');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('detokenize: token id 201088 is outside the o200k_harmony vocabulary');
  });
});
