// The JSON mask against the scalar truth: along random walks through small schemas, a token is
// allowed iff the document with its bytes appended is still a prefix of (or is) a document of the
// schema (test/helpers/json-prefix.ts, written independently of the grammar compiler); the stop token
// iff the document is whole; a control token never. Every token of the tiny-a vocabulary (512) is
// checked at every step; for o200k_harmony (201,088) a random sample plus all it allows at a step.
import { describe, expect, test } from 'bun:test';
import { applyBitmask, enforceableSchema, GrammarError, JsonGrammars, JsonMatcher } from '../src/generate/constrain/json-grammar.ts';
import { xgrammar } from '../src/generate/constrain/xgrammar.ts';
import { seededRandom } from '../src/generate/rng.ts';
import { loadCheckpoint } from '../src/model/checkpoint.ts';
import { o200kHarmony, tokenizerForCheckpoint, type Tokenizer } from '../src/tokenizer/index.ts';
import { anyObject, judge, value } from './helpers/json-prefix.ts';
import { TINY } from './helpers/server.ts';

const SCHEMAS: Record<string, Record<string, unknown>> = {
  flat: { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' }, ok: { type: 'boolean' } }, required: ['name', 'age'], additionalProperties: false },
  nested: {
    type: 'object', additionalProperties: false, required: ['user', 'tags'],
    properties: {
      user: { type: 'object', properties: { id: { type: 'number' }, role: { enum: ['admin', 'user', null] } }, required: ['id', 'role'], additionalProperties: false },
      tags: { type: 'array', items: { type: 'string' } },
      note: { anyOf: [{ type: 'string' }, { type: 'null' }] },
    },
  },
  enums: { type: 'object', properties: { v: { enum: ['a"b', 'c\\d', 3, true, null] }, w: { const: 'x' } }, required: ['v', 'w'], additionalProperties: false },
  numbers: { type: 'array', items: { type: 'number' } },
};

function tinyTokenizer(): Tokenizer {
  const ckpt = loadCheckpoint(TINY);
  try { return tokenizerForCheckpoint(ckpt); } finally { ckpt.close(); }
}

const concat = (a: Uint8Array, b: Uint8Array) => { const o = new Uint8Array(a.length + b.length); o.set(a); o.set(b, a.length); return o; };

const movingOf = new Map<Tokenizer, Set<number>>();
/** Ordinary tokens with a byte of JSON structure or a digit. */
function movingTokens(tok: Tokenizer): Set<number> {
  let m = movingOf.get(tok);
  if (!m) {
    const STRUCT = new Set([...'{}[],:"0123456789'].map((c) => c.charCodeAt(0)));
    m = new Set();
    for (let id = 0; id < tok.vocabSize; id++) if (!tok.isSpecial(id) && tok.tokenBytes(id).some((c) => STRUCT.has(c))) m.add(id);
    movingOf.set(tok, m);
  }
  return m;
}

/** Walks `steps` tokens through `schema` (null: json_object), checking the mask at each step. */
async function walk(tok: Tokenizer, schema: Record<string, unknown> | null, seed: number, steps: number, ids: (allowed: number[], rnd: () => number) => number[]) {
  const g = await (await JsonGrammars.for(tok)).compile(schema);
  const stop = tok.special.return;
  const truth = schema === null ? anyObject : value(schema);
  const m = await JsonMatcher.create(g, stop);
  const rnd = seededRandom(seed);
  let doc = new Uint8Array(0);
  let checked = 0;
  try {
    for (let step = 0; step < steps; step++) {
      const logits = new Float32Array(tok.vocabSize);
      await m.mask(logits, tok.vocabSize);
      const allowed: number[] = [];
      for (let id = 0; id < tok.vocabSize; id++) if (logits[id] !== -Infinity) allowed.push(id);
      const here = judge(truth, doc);
      for (const id of ids(allowed, rnd)) {
        let want: boolean;
        if (id === stop) want = here.complete;
        else if (tok.isSpecial(id)) want = false;
        else { const j = judge(truth, concat(doc, tok.tokenBytes(id))); want = j.prefix || j.complete; }
        if ((logits[id] !== -Infinity) !== want) throw new Error(`${schema ? JSON.stringify(schema) : 'object'} after ${JSON.stringify(new TextDecoder().decode(doc))}: token ${id} ${JSON.stringify(tok.decode([id]))} allowed=${logits[id] !== -Infinity}, truth=${want}, last bytes ${Array.from(doc.slice(-6), (x) => x.toString(16))}`);
        checked++;
      }
      expect(allowed.length).toBeGreaterThan(0);
      // Next token: mostly one that moves the structure on, so walks get past long strings.
      const moves = movingTokens(tok);
      const moving = allowed.filter((id) => moves.has(id));
      const pool = moving.length && rnd() < 0.6 ? moving : allowed;
      const next = pool[Math.floor(rnd() * pool.length)];
      expect(m.accept(next)).toBe(true);
      if (next === stop) break;
      doc = concat(doc, tok.tokenBytes(next));
    }
  } finally {
    m.close();
  }
  return checked;
}

describe('JSON mask = scalar truth', () => {
  test('tiny-a vocabulary: every token at every step', async () => {
    const tok = tinyTokenizer();
    const all = Array.from({ length: tok.vocabSize }, (_, i) => i);
    let checked = 0;
    for (const [name, schema] of [...Object.entries(SCHEMAS), ['json_object', null] as const]) {
      for (let seed = 1; seed <= 3; seed++) checked += await walk(tok, schema, seed * 31 + name.length, 30, () => all);
    }
    expect(checked).toBeGreaterThan(100_000);
  }, 120_000);

  test('o200k_harmony: sampled tokens and part of what is allowed, at every step', async () => {
    const tok = o200kHarmony();
    const sample = (allowed: number[], rnd: () => number) => {
      const out = new Set<number>([tok.special.return, tok.special.end, tok.special.call]);
      for (let k = 0; k < 150; k++) out.add(Math.floor(rnd() * tok.vocabSize));
      for (let k = 0; k < 150; k++) out.add(allowed[Math.floor(rnd() * allowed.length)]);
      return [...out];
    };
    let checked = 0;
    for (const [name, schema] of Object.entries(SCHEMAS)) checked += await walk(tok, schema, 7 + name.length, 15, sample);
    expect(checked).toBeGreaterThan(10_000);
  }, 120_000);
});

describe('JSON grammar compilation', () => {
  test('a schema the compiler rejects is a GrammarError naming the reason; a fresh instance goes on', async () => {
    const tok = tinyTokenizer();
    const cases = [[{ type: 'foo' }, 'Unsupported type'], [{ $ref: '#/definitions/x' }, 'definitions'], [{ enum: [] }, 'EBNF'], [{ type: 'integer', minimum: 1.5 }, 'whole number']] as const;
    for (const [schema, reason] of cases) {
      const before = xgrammar();
      const e = await (await JsonGrammars.for(tok)).compile(schema).catch((x) => x);
      expect(e).toBeInstanceOf(GrammarError);
      expect(e.message).toContain(reason);
      expect(e.message).not.toContain('Aborted');
      expect(xgrammar()).not.toBe(before); // the aborted instance was dropped
    }
    // Deep schemas compile and match on the fresh instance.
    const deep = SCHEMAS.nested;
    const m = await JsonMatcher.create(await (await JsonGrammars.for(tok)).compile(deep), tok.special.return);
    for (const id of tok.encode('{"user":{"id":1.5,"role":null},"tags":["a"]}')) expect(m.accept(id)).toBe(true);
    expect(m.accept(tok.special.return)).toBe(true);
    m.close();
  });

  test('bounds the compiler gets wrong are left out of the grammar, integer bounds kept', () => {
    expect(enforceableSchema({
      type: 'object',
      properties: { s: { type: 'string', maxLength: 3, pattern: 'a.b' }, n: { type: 'number', maximum: 10 }, i: { type: 'integer', minimum: 1, maximum: 9 }, pattern: { type: 'string' } },
      required: ['s'],
    })).toEqual({
      type: 'object',
      properties: { s: { type: 'string' }, n: { type: 'number' }, i: { type: 'integer', minimum: 1, maximum: 9 }, pattern: { type: 'string' } },
      required: ['s'],
    });
  });

  test('applyBitmask: bit i of the little-endian words allows id i; ids past the mask are masked', () => {
    const logits = new Float32Array(70).fill(1);
    applyBitmask(Int32Array.of(0b101, -1), logits, 70);
    expect([0, 1, 2, 3].map((i) => logits[i])).toEqual([1, -Infinity, 1, -Infinity]);
    expect(logits.subarray(32, 64).every((x) => x === 1)).toBe(true);
    expect(logits.subarray(64).every((x) => x === -Infinity)).toBe(true);
  });
});
