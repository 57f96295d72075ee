// The streaming harmony parser on the fixture model outputs, the spec examples, and each
// malformed form of spec §9 item 17 — fed one token at a time and all at once, with the same
// events — plus a property test: random token sequences never make it throw.
import { beforeAll, describe, expect, test } from 'bun:test';
import { HarmonyParser, renderChat, parseChatRequest, stopTokens, type HarmonyEvent, type ParsedMessage } from '../src/harmony/index.ts';
import { encodeWithSpecials, o200kHarmony, type Tokenizer } from '../src/tokenizer/index.ts';
import { fixture } from './fixtures/tokenizer/harmony-fixtures.ts';
import { randInt, rng } from './fixtures/tokenizer/random.ts';
import { tinyTokenizer } from './fixtures/tokenizer/tiny.ts';

const tok = o200kHarmony();

/** Merges adjacent text deltas of the same stream (written independently of the parser's own). */
function coalesce(events: HarmonyEvent[]): HarmonyEvent[] {
  const out: HarmonyEvent[] = [];
  for (const e of events) {
    const last = out.at(-1);
    const sameStream = last && 'delta' in last && 'delta' in e && last.type === e.type && (!('index' in e) || ('index' in last && last.index === e.index));
    if (sameStream) out[out.length - 1] = { ...last, delta: (last as { delta: string }).delta + e.delta } as HarmonyEvent;
    else out.push(e);
  }
  return out;
}

/** Parses both ways, checks they agree, returns the events and the parsed messages. */
function parse(ids: number[], role: 'assistant' | null = 'assistant', t: Tokenizer = tok, fallback?: 'length') {
  const whole = new HarmonyParser(t, { role });
  const all = [...whole.push(ids), ...whole.finish(fallback)];
  const single = new HarmonyParser(t, { role });
  const oneByOne = [...ids.flatMap((id) => single.push(id)), ...single.finish(fallback)];
  // Same content either way; where one push() splits a stream's text into deltas is not part of it.
  expect(coalesce(oneByOne)).toEqual(coalesce(all));
  expect(single.messages).toEqual(whole.messages);
  return { events: all, messages: whole.messages, reason: (all.at(-1) as { reason: string }).reason };
}

const ids = (text: string) => encodeWithSpecials(tok, text);
const msg = (m: Partial<ParsedMessage>) => expect.objectContaining(m);

describe('HarmonyParser on fixtures and spec examples', () => {
  test('test_simple_reasoning_response (harmony fixture ids)', () => {
    const r = parse(fixture('test_simple_reasoning_response.txt').split(/\s+/).map(Number));
    expect(r.messages).toEqual([
      msg({ role: 'assistant', channel: 'analysis', kind: 'reasoning', content: 'User asks: "What is 2 + 2?" Simple arithmetic. Provide answer.', malformed: [] }),
      msg({ role: 'assistant', channel: 'final', kind: 'content', content: '2 + 2 = 4.', terminator: null }),
    ]);
    expect(r.events.map((e) => e.type)).toEqual(['reasoning', 'message', 'content', 'message', 'done']);
    expect(r.reason).toBe('length'); // the fixture stops before any stop token
  });

  test('test_simple_tool_call (recipient without functions., content type code)', () => {
    const r = parse(fixture('test_simple_tool_call.txt').split(/\s+/).map(Number));
    expect(r.messages[1]).toEqual(msg({ kind: 'tool-call', recipient: 'lookup_weather', channel: 'analysis', contentType: 'code', content: '{"location": "Tokyo"}' }));
    expect(r.events).toContainEqual({ type: 'tool-call', index: 0, name: 'lookup_weather', recipient: 'lookup_weather', channel: 'analysis', contentType: 'code' });
  });

  test('test_streamable_parser: analysis, a browser call (channel first), a tool reply', () => {
    const text = fixture('test_streamable_parser.txt');
    const r = parse(ids(text));
    expect(r.messages).toHaveLength(3);
    expect(r.messages[0]).toEqual(msg({ kind: 'reasoning', content: text.slice(text.indexOf('User asks'), text.indexOf('<|end|>')) }));
    expect(r.messages[1]).toEqual(
      msg({ kind: 'tool-call', recipient: 'browser.search', channel: 'commentary', contentType: 'code', terminator: 'call', content: '{"query": "current US president July 2025", "topn": 10, "source": "news"}' }),
    );
    expect(r.messages[2]).toEqual(msg({ role: 'tool', name: 'browser.search', recipient: 'assistant', kind: 'other', content: '{"result": "https://openai.com/"}', malformed: [] }));
  });

  test('test_tool_response_parsing (no role known in advance)', () => {
    const r = parse(ids(fixture('test_tool_response_parsing.txt')), null);
    expect(r.messages).toEqual([msg({ role: 'tool', name: 'browser.search', recipient: 'assistant', channel: 'commentary', content: '{"result": "https://openai.com/"}' })]);
  });

  test('spec §6.10 model output: reasoning, final, stop', () => {
    const r = parse([200005, 35644, 200008, 17958, 81645, 13, 200007, 200006, 173781, 200005, 17196, 200008, 17, 659, 220, 17, 314, 220, 19, 13, 200002]);
    expect(r.events).toEqual([
      { type: 'reasoning', delta: 'Simple arithmetic.' },
      { type: 'message', message: msg({ kind: 'reasoning', terminator: 'end' }) },
      { type: 'content', delta: '2 + 2 = 4.' },
      { type: 'message', message: msg({ kind: 'content', terminator: 'return' }) },
      { type: 'done', reason: 'stop' },
    ]);
  });

  // The ids of spec §6.6 spell `functions.get_weather` (44580 775 170154, cf. §5.7), not the
  // `get_current_weather` of the text next to them; the ids are what is tested.
  test('spec §6.6 tool call ids (model form: channel, then recipient, then <|constrain|>json)', () => {
    const call = [200005, 12606, 815, 316, 28, 44580, 775, 170154, 220, 200003, 4108, 200008, 10848, 7693, 7534, 28499, 18826, 18583, 200012];
    const r = parse([...ids('<|channel|>analysis<|message|>Need to use function get_current_weather.<|end|><|start|>assistant'), ...call]);
    const at = r.events.findIndex((e) => e.type === 'tool-call');
    expect(r.events.slice(at)).toEqual([
      { type: 'tool-call', index: 0, name: 'get_weather', recipient: 'functions.get_weather', channel: 'commentary', contentType: '<|constrain|>json' },
      { type: 'tool-args', index: 0, delta: '{"location":"San Francisco"}' },
      { type: 'message', message: msg({ kind: 'tool-call', terminator: 'call', malformed: [] }) },
      { type: 'done', reason: 'tool_calls' },
    ]);
  });

  test('stop tokens for sampling are <|return|> and <|call|>, never <|end|>, for any vocab', () => {
    expect(stopTokens(tok)).toEqual([200002, 200012]);
    expect(stopTokens(tinyTokenizer())).toEqual([500, 510]);
  });
});

describe('HarmonyParser recovers from malformed output (spec §9 item 17)', () => {
  const only = (text: string, role: 'assistant' | null = 'assistant') => parse(ids(text), role);

  test('recipient in the role position', () => {
    const r = only('<|channel|>analysis<|message|>think<|end|><|start|>functions.get_weather<|channel|>commentary json<|message|>{"city":"Oslo"}<|call|>');
    expect(r.messages[1]).toEqual(msg({ role: 'assistant', kind: 'tool-call', recipient: 'functions.get_weather', contentType: 'json', content: '{"city":"Oslo"}' }));
    expect(r.reason).toBe('tool_calls');
    const r2 = only('<|start|>to=functions.get_weather<|channel|>commentary<|message|>{}<|call|>', null);
    expect(r2.messages).toEqual([msg({ role: 'assistant', kind: 'tool-call', recipient: 'functions.get_weather', content: '{}' })]);
  });

  test('tool call on the analysis channel, and without <|constrain|>', () => {
    const r = only('<|channel|>analysis to=functions.get_weather <|constrain|>json<|message|>{"a":1}<|call|>');
    expect(r.events[0]).toEqual({ type: 'tool-call', index: 0, name: 'get_weather', recipient: 'functions.get_weather', channel: 'analysis', contentType: '<|constrain|>json' });
    const r2 = only('<|channel|>commentary to=functions.f json<|message|>{}<|call|>');
    expect(r2.messages).toEqual([msg({ kind: 'tool-call', recipient: 'functions.f', contentType: 'json', malformed: [] })]);
  });

  test('stray text after <|channel|>, duplicated <|channel|> markers', () => {
    const r = only('<|channel|>final stray words<|message|>Hi<|return|>');
    expect(r.messages).toEqual([msg({ kind: 'content', content: 'Hi', malformed: ['junk in header: stray'] })]);
    expect(r.reason).toBe('stop');
    const r2 = only('<|channel|>final<|channel|>final<|message|>Hi<|return|>');
    expect(r2.messages).toEqual([msg({ kind: 'content', channel: 'final', content: 'Hi', malformed: [] })]);
  });

  test('a bare final answer without any header markup', () => {
    const r = only('The answer is 4.<|return|>');
    expect(r.messages).toEqual([msg({ kind: 'content', content: 'The answer is 4.', terminator: 'return', malformed: ['no <|message|> after the header'] })]);
    expect(only('𓀀\n𓀀<|return|>').messages).toEqual([msg({ kind: 'content', content: '𓀀\n𓀀' })]);
    // A long bare answer streams before its end: the header is given up at the first newline.
    const p = new HarmonyParser(tok);
    const early = ids('Sure.\nHere is a long answer').flatMap((id) => p.push(id));
    expect(early.filter((e) => e.type === 'content').map((e) => (e as { delta: string }).delta).join('')).toBe('Sure.\nHere is a long answer');
  });

  test('missing <|message|>, missing <|end|>, missing <|start|>assistant', () => {
    expect(only('<|channel|>commentary Hello<|end|>').messages).toEqual([msg({ kind: 'preamble', channel: 'commentary', content: 'Hello', terminator: 'end' })]);
    const r = only('<|channel|>analysis<|message|>a<|start|>assistant<|channel|>final<|message|>b<|return|>');
    expect(r.messages).toEqual([msg({ kind: 'reasoning', content: 'a', terminator: null, malformed: ['no <|end|> before <|start|>'] }), msg({ kind: 'content', content: 'b' })]);
    const r2 = only('<|channel|>analysis<|message|>a<|end|><|channel|>final<|message|>b<|return|>');
    expect(r2.messages).toEqual([msg({ kind: 'reasoning', content: 'a' }), msg({ kind: 'content', content: 'b', malformed: ['missing <|start|>'] })]);
  });

  test('stray specials inside content are dropped, not printed', () => {
    const r = only('<|channel|>final<|message|>a<|message|>b<|constrain|>c<|reserved_200010|>d<|return|>');
    expect(r.messages[0].content).toBe('abcd');
    expect(r.messages[0].malformed).toHaveLength(3);
  });

  test('multi-byte characters split over tokens never produce broken deltas', () => {
    const r = only('<|channel|>final<|message|>𓀀 日本語 👨‍👩‍👧‍👦<|return|>');
    const deltas = r.events.filter((e) => e.type === 'content');
    expect(deltas.map((e) => (e as { delta: string }).delta).join('')).toBe('𓀀 日本語 👨‍👩‍👧‍👦');
    // Fed one token at a time: no delta while the character is incomplete, the whole character as
    // soon as its last byte arrives (before finish), and never a replacement character.
    const p = new HarmonyParser(tok);
    const seq = ids('<|channel|>final<|message|>𓀀'), head = ids('<|channel|>final<|message|>').length;
    expect(seq.length - head).toBeGreaterThan(1); // 𓀀 (4 UTF-8 bytes) spans several tokens
    const pushed = seq.map((id) => p.push(id).filter((e) => e.type === 'content').map((e) => (e as { delta: string }).delta));
    expect(pushed.slice(0, -1).flat()).toEqual([]);
    expect(pushed.at(-1)).toEqual(['𓀀']);
    expect(p.finish().filter((e) => e.type === 'content')).toEqual([]);
  });
});

describe('HarmonyParser never throws (property test)', () => {
  let tiny: Tokenizer;
  beforeAll(() => {
    tiny = tinyTokenizer();
  });

  function randomRun(t: Tokenizer, seed: number) {
    const r = rng(seed);
    const sp = Object.values(t.special);
    const words = ['assistant', 'analysis', 'final', 'commentary', ' to=functions.f', ' json', 'Hi 日本', '𓀀', '\n', 'to=', ' '].map((w) => t.encode(w));
    const ids: number[] = [];
    for (let n = randInt(r, 60); n > 0; n--) {
      const pick = r();
      if (pick < 0.35) ids.push(sp[randInt(r, sp.length)]);
      else if (pick < 0.4) ids.push(t.vocabSize - 1 - randInt(r, 8)); // reserved ids
      else if (pick < 0.75) ids.push(...words[randInt(r, words.length)]);
      else ids.push(randInt(r, Math.min(t.vocabSize, 199998) - 16)); // any ordinary id, byte fragments included
    }
    return ids;
  }

  for (const which of ['o200k_harmony', 'tiny GGUF vocab'] as const) {
    test(`${which}: 300 random sequences, both feeding modes agree, one done event last`, () => {
      const t = which === 'o200k_harmony' ? tok : tiny;
      for (let seed = 1; seed <= 300; seed++) {
        const seq = randomRun(t, seed);
        for (const role of ['assistant', null] as const) {
          const r = parse(seq, role, t);
          expect(r.events.filter((e) => e.type === 'done')).toHaveLength(1);
          expect(r.events.at(-1)!.type).toBe('done');
          expect(r.events.filter((e) => e.type === 'message')).toHaveLength(r.messages.length);
        }
      }
    });
  }

  test('the tiny vocab renders the same prompt text as o200k_harmony, and parses its own ids', () => {
    const req = parseChatRequest({ reasoning_effort: 'low', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi <|end|> there' }] });
    const a = renderChat(tok, req, { currentDate: '2025-06-28' });
    const b = renderChat(tiny, req, { currentDate: '2025-06-28' });
    expect(b.text).toBe(a.text);
    expect(b.ids.filter((id) => id === tiny.special.start)).toHaveLength(4);
    const out = [...tiny.encode('<|channel|>'), tiny.special.channel, ...tiny.encode('final'), tiny.special.message, ...tiny.encode('ok'), tiny.special.return];
    const r = parse(out, 'assistant', tiny);
    expect(r.messages.at(-1)).toEqual(msg({ kind: 'content', content: 'ok', terminator: 'return' }));
  });
});
