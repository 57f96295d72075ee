// The harmony constraint inside the scheduler, on scripted engines whose wishes are known: the
// reasoning budget cuts analysis after exactly N tokens and feeds the answer's header to the model;
// budget 0 skips reasoning; required / named / forbidden calls steer the header; the watched mode
// gives a call the model opens itself its argument grammar. Then: whatever the model emits, the
// chat route answers 200 with the text it could make of it (never a 500).
import { describe, expect, test } from 'bun:test';
import { HarmonyConstraint, planOutput, Scheduler, stepEach, TokenChoice, type LanguageModel, type OutputRequest } from '../src/generate/index.ts';
import { seededRandom } from '../src/generate/rng.ts';
import { loadCheckpoint } from '../src/model/checkpoint.ts';
import { assistantStartIds, modelHeaderIds, renderedHeaderIds } from '../src/harmony/index.ts';
import { encodeWithSpecials, o200kHarmony, tokenizerForCheckpoint, type Tokenizer } from '../src/tokenizer/index.ts';
import { startScriptedServer, TINY } from './helpers/server.ts';

function tinyTokenizer(): Tokenizer {
  const ckpt = loadCheckpoint(TINY);
  try { return tokenizerForCheckpoint(ckpt); } finally { ckpt.close(); }
}
const tok = tinyTokenizer();

/** An engine that wants `script` (ids) in order, then `filler` forever; records what it is fed. */
function wishfulModel(script: number[], filler: number) {
  const fed: number[][] = [];
  const model: LanguageModel = {
    vocabSize: tok.vocabSize, maxBatch: 1 << 20, step: stepEach,
    newSession() {
      let out = -1; // output tokens fed so far (-1: the prompt is not in yet)
      return {
        get position() { return fed.flat().length; },
        async eval(ids) {
          fed.push(Array.from(ids));
          out = out < 0 ? 0 : out + ids.length;
          const row = new Float32Array(tok.vocabSize);
          row[out < script.length ? script[out] : filler] = 50;
          return row;
        },
        rewind() { return true; },
        save() { throw new Error('not saved'); },
        restore() {},
      };
    },
  };
  return { model, fed };
}

async function run(r: OutputRequest, script: string, maxTokens = 40) {
  const filler = tok.encode('x')[0];
  const { model, fed } = wishfulModel(encodeWithSpecials(tok, script), filler);
  const plan = (await planOutput(tok, r))!;
  const c = new HarmonyConstraint(tok, plan);
  const s = new Scheduler(model, { slots: 1, context: 4096, maxQueue: 1, limit: tok.vocabSize });
  const out: number[] = [];
  const prompt = encodeWithSpecials(tok, '<|start|>user<|message|>hi<|end|><|start|>assistant');
  for await (const e of s.submit({ prompt, maxTokens, sampling: { temperature: 0 }, stopIds: new Set([tok.special.return, tok.special.call]), constraint: c, output: { token: (t) => { out.push(t.id); return { events: [] }; }, end: () => [] } })) void e;
  return { text: tok.decode(out), out, fed: fed.slice(1), reasoning: c.reasoningTokens };
}

describe('reasoning budget', () => {
  test('analysis is cut after exactly N tokens; <|end|><|start|>assistant<|channel|>final<|message|> is fed to the model', async () => {
    // (More room than the ~96 tokens a reply keeps for its answer, so reasoning may start.)
    for (const n of [1, 5, 12]) {
      const r = await run({ reasoningBudget: n }, '<|channel|>analysis<|message|>', 150);
      expect(r.reasoning).toBe(n);
      expect(r.text).toMatch(new RegExp(`^<\\|channel\\|>analysis<\\|message\\|>x{${n}}<\\|end\\|><\\|start\\|>assistant<\\|channel\\|>final<\\|message\\|>x+$`));
      // The n-th analysis token and the forced run go into the K/V cache together.
      const forced = encodeWithSpecials(tok, '<|end|><|start|>assistant<|channel|>final<|message|>');
      expect(r.fed).toContainEqual([tok.encode('x')[0], ...forced]);
    }
  });

  test('budget 0: the final header is forced at once; no budget (-1) leaves analysis alone', async () => {
    const zero = await run({ reasoningBudget: 0 }, '<|channel|>analysis<|message|>thinking');
    expect(zero.text.startsWith('<|channel|>final<|message|>')).toBe(true);
    expect(zero.reasoning).toBe(0);
    expect(await planOutput(tok, { reasoningBudget: -1 })).toBeNull(); // nothing to enforce: no hook at all
  });
});

describe('tool choice', () => {
  const tools = [
    { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } },
    { name: 'add', parameters: { type: 'object', properties: { a: { type: 'integer' } }, required: ['a'], additionalProperties: false } },
  ];

  test('required: a model that wants to answer is steered into a call with valid arguments', async () => {
    const r = await run({ reasoningBudget: -1, tools, toolChoice: 'required' }, '<|channel|>final<|message|>no tools for me<|return|>', 80);
    expect(r.text).toMatch(/(<\|channel\|>commentary to=functions\.(get_weather|add) <\|constrain\|>json|to=functions\.(get_weather|add)<\|channel\|>commentary <\|constrain\|>json)<\|message\|>/);
    const args = r.text.slice(r.text.lastIndexOf('<|message|>') + '<|message|>'.length, r.text.indexOf('<|call|>'));
    expect(r.text.endsWith('<|call|>')).toBe(true);
    const parsed = JSON.parse(args);
    expect(typeof (parsed.city ?? parsed.a)).toMatch(/string|number/);
  });

  test('named: only that function; none: no call header can be written', async () => {
    const named = await run({ reasoningBudget: -1, tools, toolChoice: { name: 'add' } }, '<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city":"x"}<|call|>', 80);
    expect(named.text).toContain('functions.add');
    expect(named.text).not.toContain('get_weather');
    expect(JSON.parse(named.text.slice(named.text.lastIndexOf('<|message|>') + 11, -'<|call|>'.length))).toHaveProperty('a');
    const none = await run({ reasoningBudget: -1, tools, toolChoice: 'none' }, '<|channel|>commentary to=functions.add <|constrain|>json<|message|>{"a":1}<|call|>', 30);
    expect(none.text).toMatch(/^<\|channel\|>(analysis|final)<\|message\|>/); // what it wanted became text
    expect(none.text).not.toMatch(/<\|constrain\|>|<\|call\|>/);
  });

  test('auto: the header is only watched; a call the model opens gets its argument grammar', async () => {
    const r = await run({ reasoningBudget: -1, tools, toolChoice: 'auto' }, '<|channel|>commentary to=functions.add <|constrain|>json<|message|>{"a":"not a number"}<|call|>', 60);
    expect(r.text.startsWith('<|channel|>commentary to=functions.add <|constrain|>json<|message|>{"a":')).toBe(true);
    const args = r.text.slice(r.text.indexOf('<|message|>') + 11, r.text.indexOf('<|call|>'));
    expect(Number.isInteger(JSON.parse(args).a)).toBe(true);
    const free = await run({ reasoningBudget: -1, tools }, '<|channel|>final<|message|>plain words<|return|>');
    expect(free.text).toBe('<|channel|>final<|message|>plain words<|return|>');
  });
});

describe('TokenChoice', () => {
  test('allowed ids, the forced shared run, the chosen option', () => {
    const c = new TokenChoice([{ ids: [1, 2, 3, 9], value: 'a' }, { ids: [1, 2, 4, 9], value: 'b' }, { ids: [5, 9], value: 'c' }]);
    expect([...c.allowed()].sort()).toEqual([1, 5]);
    expect(c.forced()).toEqual([]);
    expect(c.accept(7)).toBe(false);
    expect(c.accept(1)).toBe(true);
    expect(c.forced()).toEqual([2]);
    c.accept(2);
    expect([...c.allowed()].sort()).toEqual([3, 4]);
    c.accept(4);
    expect(c.forced()).toEqual([9]);
    expect(c.chosen).toBeNull();
    c.accept(9);
    expect(c.chosen).toBe('b');
  });
});

describe('malformed model output', () => {
  test('random token soup (control tokens included) is always a 200 with whatever text it made', async () => {
    const rnd = seededRandom(5);
    const soup = () => Array.from({ length: 30 }, () => tok.decode([Math.floor(rnd() * tok.vocabSize)])).join('');
    const srv = await startScriptedServer(tok, () => soup());
    try {
      const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { a: { type: 'string' } } } } }];
      for (let i = 0; i < 12; i++) {
        const body = { messages: [{ role: 'user', content: `try ${i}` }], max_tokens: 40, stream: i % 2 === 1, ...(i % 3 === 0 ? { tools } : {}) };
        const res = await fetch(`${srv.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify(body) });
        expect(res.status).toBe(200);
        const text = await res.text();
        expect(text).not.toContain('"error"');
      }
    } finally {
      await srv.stop();
    }
  }, 60_000);
});

describe('forced header ids', () => {
  test('the model form matches spec §6.6 token for token; the renderer form comes from render.ts', () => {
    const o = o200kHarmony();
    const h = { channel: 'commentary', recipient: 'functions.get_current_weather' };
    // spec §6.6 lists these ids without 23981 (`get`), which §6.2 has in the same name
    // (`functions.get_current_weather` = 44580, 775, 23981, 170154): a slip in the spec's list.
    expect(modelHeaderIds(o, h)).toEqual([200005, 12606, 815, 316, 28, 44580, 775, 23981, 170154, 220, 200003, 4108, 200008]);
    expect(o.decode(modelHeaderIds(o, h))).toBe('<|channel|>commentary to=functions.get_current_weather <|constrain|>json<|message|>');
    expect(o.decode(renderedHeaderIds(o, h))).toBe(' to=functions.get_current_weather<|channel|>commentary <|constrain|>json<|message|>');
    expect(modelHeaderIds(o, { channel: 'final' })).toEqual([200005, 17196, 200008]); // spec §6.10
    expect(assistantStartIds(o)).toEqual([200006, 173781]);
  }, 30_000); // building o200k_harmony takes seconds on a busy machine
});
