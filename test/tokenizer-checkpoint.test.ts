// Which tokenizer a checkpoint gets (src/tokenizer/for-checkpoint.ts): the golden synthetic
// checkpoints tokenize through their own byte-level vocab; a real-size checkpoint whose own
// tokenizer data disagrees with the built-in o200k_harmony is refused with a clear message.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { o200kHarmony, tokenizerFor, tokenizerForCheckpoint, TokenizerError, type Tokenizer } from '../src/tokenizer/index.ts';
import { bytesToByteLevel } from '../src/tokenizer/byte-level.ts';
import { CORPUS } from './fixtures/tokenizer/corpus.ts';
import { TINY_A, withCheckpoint } from './fixtures/tokenizer/tiny.ts';

const tmp = mkdtempSync(join(tmpdir(), 'oss-edge-tok-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('synthetic checkpoint (golden/tiny-a, 512-token byte-level vocab)', () => {
  let gguf: Tokenizer;
  let ggufMeta: Record<string, unknown>;
  beforeAll(() => {
    [gguf, ggufMeta] = withCheckpoint(join(TINY_A, 'model.gguf'), (c) => [tokenizerForCheckpoint(c), c.metadata] as const);
  });

  test('GGUF metadata gives its own BPE with the harmony specials at 496 … 511', () => {
    expect(gguf.name).toBe('gguf-bpe');
    expect(gguf.vocabSize).toBe(512);
    // golden/tiny-a/README.md
    expect(gguf.special).toEqual({
      startoftext: 496, endoftext: 497, return: 500, constrain: 501, channel: 503,
      start: 504, end: 505, message: 506, call: 510,
    });
  });

  test('merges apply by rank inside o200k pre-tokens', () => {
    // Merge list of the generator (shared/tools/gen_gpt_oss.py): rank 1 "Ġ t", then letter pairs in
    // "etaoinshrd…" order, so " the" → Ġt (rank 1) then h+e (rank 26 + 7·26 + 0); "Ġt h" is no merge.
    const tokens = ggufMeta['tokenizer.ggml.tokens'] as string[];
    const spelled = (s: string) => gguf.encode(s).map((id) => tokens[id]);
    expect(spelled(' the')).toEqual(['Ġt', 'he']);
    expect(spelled(' the the')).toEqual(['Ġt', 'he', 'Ġt', 'he']);
    expect(spelled('zz 42')).toEqual(['z', 'z', 'Ġ', '4', '2']); // no "z z" merge; digits never merged
  });

  test.each(Object.entries(CORPUS))('%s: round trip, no specials from text', (_, text) => {
    const ids = gguf.encode(text);
    expect(gguf.decode(ids)).toBe(text.toWellFormed());
    expect(ids.some((id) => gguf.isSpecial(id))).toBe(false);
  });

  test('an HF folder with a small vocab and no tokenizer data is refused clearly', () => {
    expect(() => withCheckpoint(TINY_A, (c) => tokenizerForCheckpoint(c))).toThrow(
      /vocab size 512 is not o200k_harmony's 201088 and the checkpoint carries no tokenizer/,
    );
  });

  test("an HF folder's own tokenizer.json is used, and agrees with the GGUF vocab", () => {
    const dir = join(tmp, 'tiny-hf');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    copyFileSync(join(TINY_A, 'config.json'), join(dir, 'config.json'));
    symlinkSync(join(TINY_A, 'model.safetensors'), join(dir, 'model.safetensors'));
    const tokens = ggufMeta['tokenizer.ggml.tokens'] as string[];
    const vocab = Object.fromEntries(tokens.slice(0, 496).map((t, id) => [t, id]));
    const added = tokens.slice(496).map((content, i) => ({ id: 496 + i, content, special: true }));
    const merges = (ggufMeta['tokenizer.ggml.merges'] as string[]).map((m) => m.split(' '));
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify({ model: { type: 'BPE', vocab, merges }, added_tokens: added }));
    const hf = withCheckpoint(dir, (c) => tokenizerForCheckpoint(c));
    expect(hf.name).toBe('tokenizer.json-bpe');
    expect(hf.special).toEqual(gguf.special);
    for (const text of Object.values(CORPUS)) expect(hf.encode(text)).toEqual(gguf.encode(text));
  });
});

describe('real-size vocab (201088): checkpoint tokenizer data must agree with the built-in', () => {
  const builtin = o200kHarmony();
  // A faithful hub-style tokenizer.json / GGUF token list, generated from the built-in ranks.
  const spellings: string[] = [];
  for (let id = 0; id < 199998; id++) spellings.push(bytesToByteLevel(builtin.tokenBytes(id)));
  const addedTokens = () =>
    Array.from({ length: 21 }, (_, i) => ({ id: 199998 + i, content: builtin.decode([199998 + i]), special: true }));
  const hfFolder = (name: string, json: unknown) => {
    const dir = join(tmp, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
    return { kind: 'hf' as const, path: dir, metadata: {}, config: { vocabSize: 201088 } };
  };
  const ggufMeta = (tokens: string[], extra: Record<string, unknown> = {}) => ({
    'tokenizer.ggml.model': 'gpt2', 'tokenizer.ggml.pre': 'gpt-4o', 'tokenizer.ggml.tokens': tokens, ...extra,
  });
  const ggufTokens = () => {
    const t = [...spellings];
    for (let id = 199998; id < 201088; id++) t.push(id <= 200018 ? builtin.decode([id]) : `[PAD${id}]`);
    return t;
  };

  test('an agreeing tokenizer.json and GGUF vocab give the built-in tokenizer', () => {
    const vocab = Object.fromEntries(spellings.map((s, id) => [s, id]));
    expect(tokenizerForCheckpoint(hfFolder('agree', { model: { type: 'BPE', vocab }, added_tokens: addedTokens() }))).toBe(builtin);
    expect(tokenizerFor(ggufMeta(ggufTokens()), 201088)).toBe(builtin);
    expect(tokenizerFor({ model_type: 'gpt_oss' }, 201088)).toBe(builtin); // HF folder without tokenizer.json
  });

  test('a tokenizer.json with a wrong special id fails with a clear message', () => {
    const added = addedTokens().map((a) => (a.content === '<|start|>' ? { ...a, id: 200007 } : a.content === '<|end|>' ? { ...a, id: 200006 } : a));
    const ckpt = hfFolder('wrong-special', { model: { type: 'BPE', vocab: { a: 0 } }, added_tokens: added });
    expect(() => tokenizerForCheckpoint(ckpt)).toThrow(TokenizerError);
    expect(() => tokenizerForCheckpoint(ckpt)).toThrow(
      `${ckpt.path}/tokenizer.json disagrees with the built-in o200k_harmony tokenizer: special token <|start|> has id 200007, the built-in has 200006`,
    );
  });

  test('a tokenizer.json with a different vocab size or spelling fails', () => {
    const short = { model: { vocab: { a: 0, b: 1 } }, added_tokens: addedTokens() };
    expect(() => tokenizerForCheckpoint(hfFolder('short', short))).toThrow(/its BPE vocab has 2 tokens, o200k has 199998/);
    const swapped = Object.fromEntries(spellings.map((s, id) => [s, id === 13225 ? 13226 : id === 13226 ? 13225 : id]));
    expect(() => tokenizerForCheckpoint(hfFolder('swapped', { model: { vocab: swapped }, added_tokens: addedTokens() }))).toThrow(
      /"Hello" should be id 13225, found 13226/,
    );
  });

  test('GGUF tokenizer metadata that disagrees fails', () => {
    const t = ggufTokens();
    [t[200006], t[200008]] = [t[200008], t[200006]];
    expect(() => tokenizerFor(ggufMeta(t), 201088)).toThrow(/special token <\|start\|> has id 200008, the built-in has 200006/);
    expect(() => tokenizerFor(ggufMeta(ggufTokens().slice(0, 200000)), 201088)).toThrow(/it has 200000 tokens, gpt-oss has 201088/);
    expect(() => tokenizerFor(ggufMeta(ggufTokens(), { 'tokenizer.ggml.pre': 'llama-bpe' }), 201088)).toThrow(/tokenizer.ggml.pre is "llama-bpe"/);
    const respelled = ggufTokens();
    respelled[17360] = 'System';
    expect(() => tokenizerFor(ggufMeta(respelled), 201088)).toThrow(/id 17360 should be "system", found "System"/);
  });

  test('a small vocab needs its own tokenizer', () => {
    expect(() => tokenizerFor({}, 1000)).toThrow(/vocab size 1000 is not o200k_harmony's 201088/);
  });
});
