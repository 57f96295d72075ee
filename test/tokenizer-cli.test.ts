// The tokenize / detokenize commands end to end (a real process, stdin → stdout).
import { describe, expect, test } from 'bun:test';
import { o200kHarmony } from '../src/tokenizer/index.ts';
import { cli } from './fixtures/tokenizer/cli.ts';

describe('cli tokenize / detokenize', () => {
  test('tokenize: stdin text byte for byte, specials stay text unless --specials', async () => {
    const r = await cli(['tokenize'], 'Hello World<|end|>\n');
    expect(r.code).toBe(0);
    // The in-process tokenizer is checked against the spec vectors in tokenizer.test.ts.
    expect(JSON.parse(r.out)).toEqual({ ids: o200kHarmony().encode('Hello World<|end|>\n') });
    expect(JSON.parse(r.out).ids.slice(0, 2)).toEqual([13225, 5922]);
    expect(JSON.parse((await cli(['tokenize', '--specials'], 'Hello<|end|>')).out)).toEqual({ ids: [13225, 200007] });
  });

  test('detokenize: ids → exact text; a bad id is a clear error', async () => {
    const r = await cli(['detokenize'], JSON.stringify({ ids: [13225, 5922, 200006, 198] }));
    expect(r).toEqual({ code: 0, out: 'Hello World<|start|>\n', err: '' });
    const bad = await cli(['detokenize'], '{"ids": [201088]}');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('detokenize: token id 201088 is outside the o200k_harmony vocabulary');
  });
});
