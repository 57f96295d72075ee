// Tokenizing any size of text (issue 11): the O(n log n) rank merge (src/tokenizer/merge.ts) equals
// the rescanning loop it replaces on random input; the TypeScript o200k_harmony equals tiktoken's
// wasm (an independent implementation: Rust regex + Rust BPE) and the plain reference encoder on
// random text and on long single pre-tokens of every kind; 1 MiB inputs round-trip; and the merge
// does a linear number of rank look-ups (counted, not timed: bench/tokenizer-long.ts times it).
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { get_encoding } from 'tiktoken';
import { mergeByRank } from '../src/tokenizer/merge.ts';
import { loadO200kRanks, rankOf } from '../src/tokenizer/o200k-ranks.ts';
import { o200kHarmony } from '../src/tokenizer/index.ts';
import { randInt, rng } from './fixtures/tokenizer/random.ts';
import { referenceEncode } from './fixtures/tokenizer/reference-o200k.ts';
import { tinyTokenizer } from './fixtures/tokenizer/tiny.ts';

const tok = o200kHarmony();
const tiktoken = get_encoding('o200k_base');
const tiktokenIds = (s: string) => Array.from(tiktoken.encode_ordinary(s));

/** The loop tiktoken's `_byte_pair_merge` runs: rescan every pair, merge the lowest (leftmost). */
function rescanningMerge(n: number, rankOf: (a: number, m: number, b: number) => number): number[] {
  const starts = Array.from({ length: n }, (_, i) => i);
  for (;;) {
    let best = -1, bestRank = Infinity;
    for (let k = 0; k + 1 < starts.length; k++) {
      const r = rankOf(starts[k], starts[k + 1], k + 2 < starts.length ? starts[k + 2] : n);
      if (r >= 0 && r < bestRank) [best, bestRank] = [k, r];
    }
    if (best < 0) return starts;
    starts.splice(best + 1, 1);
  }
}

describe('mergeByRank equals the rescanning loop', () => {
  test('2,000 random words over random rank tables (concatenation and pair keyed, with ties)', () => {
    const r = rng(1101);
    for (let c = 0; c < 2000; c++) {
      const alphabet = 'abcd'.slice(0, 2 + randInt(r, 3));
      const word = Array.from({ length: 1 + randInt(r, c < 1500 ? 40 : 400) }, () => alphabet[randInt(r, alphabet.length)]).join('');
      const table = new Map<string, number>();
      for (let k = 0; k < 60; k++) {
        const a = randInt(r, word.length), len = 2 + randInt(r, 6);
        const key = c % 2 ? word.slice(a, a + len) : `${word.slice(a, a + 1 + randInt(r, 3))} ${word.slice(a, a + 1 + randInt(r, 3))}`;
        table.set(key, randInt(r, 40)); // few distinct ranks: many ties
      }
      const rankOf = c % 2
        ? (a: number, _m: number, b: number) => table.get(word.slice(a, b)) ?? -1
        : (a: number, m: number, b: number) => table.get(`${word.slice(a, m)} ${word.slice(m, b)}`) ?? -1;
      expect(mergeByRank(word.length, rankOf)).toEqual(rescanningMerge(word.length, rankOf));
    }
  }, 120_000);

  test('rank look-ups are linear in the length (≤ 3n: n − 1 initial pairs, ≤ 2 per merge)', () => {
    const ranks = loadO200kRanks();
    for (const unit of ['a', 'ab', '日', '👍🏽', ' ', '\n', '!?']) {
      const bin = Buffer.from(unit.repeat(Math.ceil((1 << 18) / Buffer.byteLength(unit))), 'utf8').toString('latin1');
      let calls = 0;
      mergeByRank(bin.length, (a, _m, b) => { calls++; return b - a > ranks.maxBytes ? -1 : rankOf(ranks, bin, a, b); });
      expect(calls).toBeLessThanOrEqual(3 * bin.length);
    }
  }, 120_000);
});

describe('o200k_harmony (TypeScript) equals tiktoken and the reference encoder', () => {
  test('1,000 random texts from a pool of scripts, spaces, newlines and punctuation', () => {
    const pool = ['a', 'b', 'Z', 'é', ' ', '  ', '\n', '\r\n', '\t', "'s", "'LL", '日', '本', '한', '👍', '🏽', '\u200d', '1', '23', '!', '?', '.', ',', '/', '\u00a0', '\u3000', 'ſ', '\ud800'];
    const r = rng(2202);
    for (let c = 0; c < 1000; c++) {
      const text = Array.from({ length: randInt(r, c < 900 ? 40 : 400) }, () => pool[randInt(r, pool.length)]).join('');
      const ids = tok.encode(text);
      expect(ids).toEqual(tiktokenIds(text.toWellFormed()));
      expect(ids).toEqual(referenceEncode(text));
    }
  }, 120_000);

  // One pre-token each, long enough to take the merge's slow path many times over, short enough
  // for tiktoken's quadratic loop to finish in a test.
  const LONG: Array<[string, string]> = [
    ['a repeated', 'a'.repeat(8192)], ['ab repeated', 'ab'.repeat(4096)], ['CJK', '日本語中文한국어'.repeat(600)],
    ['emoji pairs', '👍🏽'.repeat(1024)], ['ZWJ family', '👨‍👩‍👧‍👦'.repeat(300)], ['spaces then a word', `${' '.repeat(8192)}word`],
    ['newlines', '\n'.repeat(8192)], ['punctuation', '!?.,;:()[]{}'.repeat(700)], ['digits', '1234567890'.repeat(800)],
    ['uppercase', 'ABCDEFGHIJ'.repeat(800)], ['combining marks', 'e\u0301'.repeat(3000)],
  ];
  test.each(LONG)('%s: identical to tiktoken', (_, text) => {
    expect(tok.encode(text)).toEqual(tiktokenIds(text));
  }, 60_000);

  test('long words (many merges each) match the reference encoder', () => {
    for (const text of ['Pneumonoultramicroscopicsilicovolcanoconiosis'.repeat(40), 'ab'.repeat(600)]) {
      expect(tok.encode(text)).toEqual(referenceEncode(text));
    }
  }, 60_000);
});

describe('the tables and the runtime path', () => {
  test("every rank's bytes equal tiktoken's (the loader decodes o200k_base.json itself)", () => {
    let differ = 0;
    for (let id = 0; id < 199_998; id++) {
      const a = tok.tokenBytes(id), b = tiktoken.decode_single_token_bytes(id);
      if (a.length !== b.length || a.some((x, i) => x !== b[i])) differ++;
    }
    expect(differ).toBe(0);
    expect(tok.maxTokenBytes).toBe(128);
  }, 60_000);

  test("no code under src/ runs tiktoken's wasm (only its data file is read): nothing there can trap", () => {
    const offenders = [...new Bun.Glob('src/**/*.ts').scanSync({ cwd: join(import.meta.dir, '..') })]
      .filter((f) => /from 'tiktoken'|require\('tiktoken'\)|tiktoken_bg\.wasm/.test(readFileSync(join(import.meta.dir, '..', f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});

describe('1 MiB of one kind of text', () => {
  const MIB = 1 << 20;
  const fill = (unit: string) => unit.repeat(Math.floor(MIB / Buffer.byteLength(unit)));
  const CASES: Array<[string, string]> = [
    ['a', fill('a')], ['CJK', fill('日本語中文')], ['emoji pairs', fill('👍🏽')], ['spaces', fill(' ')], ['newlines', fill('\n')],
    ['punctuation', fill('!?.,')], ['prose', fill('Hello, world! 日本 — ok?\n')],
  ];
  test.each(CASES)('%s: round trip, ordinary ids only', (_, text) => {
    const ids = tok.encode(text);
    expect(tok.decode(ids)).toBe(text);
    expect(ids.every((id) => id >= 0 && id < 199_998)).toBe(true);
  }, 60_000);

  test('prose: the whole 1 MiB equals the reference encoder (its pre-tokens are short)', () => {
    const text = CASES.at(-1)![1];
    expect(tok.encode(text)).toEqual(referenceEncode(text));
  }, 60_000);

  test("the checkpoint BPE (golden tiny-a's vocab) takes 1 MiB of one character too", () => {
    const tiny = tinyTokenizer();
    const text = fill('e');
    expect(tiny.decode(tiny.encode(text))).toBe(text);
  }, 60_000);
});
