// The response store on its own (byte budget with LRU eviction, age, a directory that outlives a
// restart) and over HTTP on a scripted engine (exact prompts): eviction within the budget, the
// unsupported-tools flag both ways, a function-call round trip rendered into the next prompt, the
// serve flags.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { parseArgs } from '../src/cli/args.ts';
import { serveOptions } from '../src/cli/serve.ts';
import { JsonGrammars } from '../src/generate/index.ts';
import { newId, setIdTag } from '../src/server/ids.ts';
import type { Item } from '../src/server/responses/items.ts';
import { ResponseStore, STORE_DEFAULTS, type StoredResponse } from '../src/server/responses/store.ts';
import { o200kHarmony } from '../src/tokenizer/index.ts';
import { startScriptedServer, startTestServer } from './helpers/server.ts';

const msg = (id: string, text: string): Item => ({ id, type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text }] });
const rec = (n: number, createdAt = Math.floor(Date.now() / 1000), pad = 0): StoredResponse => ({
  response: { id: `resp_${n}`, created_at: createdAt, object: 'response', pad: 'x'.repeat(pad) },
  input: [msg(`msg_in${n}`, `input ${n}`)], conversation: [msg(`msg_in${n}`, `input ${n}`), msg(`msg_out${n}`, `output ${n}`)],
});
const size = (r: StoredResponse) => new TextEncoder().encode(JSON.stringify(r)).length;

describe('ResponseStore', () => {
  for (const where of ['memory', 'disk'] as const) {
    test(`${where}: over the byte budget the least recently used go first; an item is found by its id`, () => {
      const dir = where === 'disk' ? mkdtempSync(join(tmpdir(), 'responses-')) : null;
      try {
        const store = new ResponseStore({ maxBytes: 3 * size(rec(1)) + 10, maxAgeSeconds: 3600, dir });
        for (const n of [1, 2, 3]) expect(store.put(rec(n))).toBe(true);
        expect(store.size).toBe(3);
        expect(store.get('resp_1')?.input[0]).toEqual(msg('msg_in1', 'input 1')); // 1 is now the most recent
        store.put(rec(4));
        expect([1, 2, 3, 4].map((n) => store.get(`resp_${n}`) !== null)).toEqual([true, false, true, true]);
        expect(store.bytes).toBeLessThanOrEqual(store.o.maxBytes);
        expect(store.item('msg_out3')).toEqual(msg('msg_out3', 'output 3'));
        expect(store.item('msg_out2')).toBeNull(); // went with its response
        expect(store.put(rec(5, undefined, 10_000))).toBe(false); // larger than the whole budget
        expect(store.get('resp_5')).toBeNull();
        expect(store.delete('resp_3')).toBe(true);
        expect(store.delete('resp_3')).toBe(false);
        if (dir) expect(readdirSync(dir).sort()).toEqual(['resp_1.json', 'resp_4.json']);
      } finally {
        if (dir) rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  test('past the age a response is gone, as if never stored', () => {
    let now = 1_000_000_000_000;
    const store = new ResponseStore({ maxBytes: 1 << 20, maxAgeSeconds: 60, now: () => now });
    store.put(rec(1, now / 1000));
    store.put(rec(2, now / 1000 + 30));
    now += 61_000;
    expect(store.get('resp_1')).toBeNull();
    expect(store.get('resp_2')).not.toBeNull();
    expect(store.item('msg_in1')).toBeNull();
    store.put(rec(3, now / 1000));
    now += 31_000; // resp_2 is 91 s old, resp_3 31 s: a put sweeps the expired
    store.put(rec(4, now / 1000));
    expect(store.size).toBe(2);
  });

  test('a directory outlives the store: a new one finds the responses (oldest write first), drops torn files and expired ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'responses-'));
    try {
      const a = new ResponseStore({ maxBytes: 1 << 20, maxAgeSeconds: 3600, dir });
      a.put(rec(1));
      a.put(rec(2, Math.floor(Date.now() / 1000) - 7200)); // already past the age
      writeFileSync(join(dir, 'resp_9.json'), '{"torn'); // a write cut short
      writeFileSync(join(dir, 'notes.txt'), 'not ours');
      const b = new ResponseStore({ maxBytes: 1 << 20, maxAgeSeconds: 3600, dir });
      expect(b.get('resp_1')).toEqual(rec(1));
      expect(b.item('msg_out1')).toEqual(msg('msg_out1', 'output 1'));
      expect(b.get('resp_2')).toBeNull();
      expect(existsSync(join(dir, 'resp_9.json'))).toBe(false);
      expect(existsSync(join(dir, 'notes.txt'))).toBe(true);
      expect(b.get('../notes')).toBeNull(); // never a path outside the directory
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ids', () => {
  test('unique, one shape for every prefix; a tag set once is embedded in every later id', () => {
    const ids = Array.from({ length: 20_000 }, () => newId('resp_'));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 100)) expect(id).toMatch(/^resp_[0-9a-f]{24}$/);
    try {
      setIdTag('r7');
      expect(newId('resp_')).toMatch(/^resp_r7_[0-9a-f]{24}$/);
      expect(newId('call_')).toMatch(/^call_r7_[0-9a-f]{24}$/);
      expect(() => setIdTag('a/b')).toThrow('letters and digits');
    } finally {
      setIdTag('');
    }
    expect(newId('msg_')).toMatch(/^msg_[0-9a-f]{24}$/);
  });
});

describe('serve flags', () => {
  const opts = (argv: string[]) => serveOptions(parseArgs(argv), {});
  test('--responses-max-mb, --responses-max-age, --responses-dir, --responses-unsupported-tools', () => {
    expect(opts([])).toMatchObject({ responsesMaxBytes: STORE_DEFAULTS.maxMb * 2 ** 20, responsesMaxAgeSeconds: STORE_DEFAULTS.maxAgeSeconds, responsesDir: null, responsesUnsupportedTools: 'reject' });
    expect(opts(['--responses-max-mb', '2', '--responses-max-age', '60', '--responses-dir', '/tmp/r', '--responses-unsupported-tools', 'ignore']))
      .toMatchObject({ responsesMaxBytes: 2 << 20, responsesMaxAgeSeconds: 60, responsesDir: '/tmp/r', responsesUnsupportedTools: 'ignore' });
    expect(() => opts(['--responses-unsupported-tools', 'drop'])).toThrow('reject or ignore');
    expect(() => opts(['--responses-max-age', '0'])).toThrow('at least 1');
  });
});

describe('over HTTP (scripted engine)', () => {
  const tok = o200kHarmony();
  const CALL = '<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city":"Paris"}<|call|>';
  // calls get_weather until the prompt holds its result, then answers
  const reply = (prompt: string) => {
    if (prompt.includes('EXPLODE')) throw new Error('engine exploded');
    return prompt.includes('to=assistant') ? '<|channel|>final<|message|>It is sunny.<|return|>' : CALL;
  };
  const weather: OpenAI.Responses.FunctionTool = { type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: true };
  let reject: Awaited<ReturnType<typeof startScriptedServer>>, ignore: typeof reject, small: typeof reject;
  beforeAll(async () => {
    await JsonGrammars.for(tok);
    const store = (maxBytes: number) => new ResponseStore({ maxBytes, maxAgeSeconds: 3600 });
    reject = await startScriptedServer(tok, reply, { responses: { store: store(1 << 20), unsupportedTools: 'reject' } });
    ignore = await startScriptedServer(tok, reply, { responses: { store: store(1 << 20), unsupportedTools: 'ignore' } });
    small = await startScriptedServer(tok, reply, { responses: { store: store(12_000), unsupportedTools: 'reject' } });
  });
  afterAll(async () => { await reject?.stop(); await ignore?.stop(); await small?.stop(); });
  const sdk = (url: string) => new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });

  test('a tool the server cannot run: 400 with reject, dropped with a Warning header with ignore', async () => {
    const body = { model: 'scripted', input: 'Weather?', tools: [{ type: 'web_search' }, weather, { type: 'code_interpreter', container: { type: 'auto' } }], tool_choice: 'auto' };
    const post = (url: string, b: object) => fetch(`${url}/v1/responses`, { method: 'POST', body: JSON.stringify(b) });
    const r = await post(reject.url, body);
    expect(r.status).toBe(400);
    expect((await r.json()).error).toMatchObject({ param: 'tools[0].type', code: 'unsupported_tool', type: 'invalid_request_error' });
    const i = await post(ignore.url, body);
    expect(i.status).toBe(200);
    expect(i.headers.get('warning')).toContain('web_search, code_interpreter');
    const got = await i.json();
    expect(got.tools.map((t: { name: string }) => t.name)).toEqual(['get_weather']); // the echo holds what ran
    expect(ignore.prompts.at(-1)).toContain('get_weather');
    expect(ignore.prompts.at(-1)).not.toContain('web_search');
    const streamed = await post(ignore.url, { ...body, stream: true });
    expect(streamed.headers.get('warning')).toContain('web_search');
    await streamed.text();
    const choice = await post(ignore.url, { ...body, tool_choice: { type: 'web_search' } });
    expect(choice.status).toBe(200); // chose an ignored tool: auto
    const bad = await post(reject.url, { ...body, tools: [weather], tool_choice: { type: 'file_search' } });
    expect([bad.status, (await bad.json()).error.param]).toEqual([400, 'tool_choice']);
  });

  test('a function call round trip: the call and its output are rendered into the next prompt', async () => {
    const client = sdk(reject.url);
    const r = await client.responses.create({ model: 'scripted', input: 'Weather in Paris?', tools: [weather] });
    const call = r.output[0] as OpenAI.Responses.ResponseFunctionToolCall;
    expect(r.output).toHaveLength(1);
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' });
    const final = await client.responses.create({ model: 'scripted', previous_response_id: r.id, tools: [weather], input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"sky":"clear"}' }] });
    expect(final.output_text).toBe('It is sunny.');
    const prompt = reject.prompts.at(-1)!;
    expect(prompt).toContain('<|start|>user<|message|>Weather in Paris?<|end|>');
    expect(prompt).toContain('<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{"city":"Paris"}<|call|>');
    expect(prompt).toContain('<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>{"sky":"clear"}<|end|>');
    expect(prompt.endsWith('<|start|>assistant')).toBe(true);
  });

  test('an engine failure: a 500 in the error shape, or streamed, response.failed with the error; nothing stored', async () => {
    const client = sdk(reject.url);
    const e = await client.responses.create({ model: 'scripted', input: 'EXPLODE' }).catch((x) => x);
    expect(e).toBeInstanceOf(OpenAI.InternalServerError);
    expect(e.code).toBe('generation_failed');
    const text = await (await fetch(`${reject.url}/v1/responses`, { method: 'POST', body: JSON.stringify({ input: 'EXPLODE', stream: true }) })).text();
    const events = text.trim().split('\n\n').map((f) => JSON.parse(f.split('\n')[1].slice('data: '.length)));
    expect(events.map((ev) => ev.type)).toEqual(['response.created', 'response.in_progress', 'response.failed']);
    expect(events.map((ev) => ev.sequence_number)).toEqual([0, 1, 2]);
    const failed = events[2].response;
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'generation_failed' } });
    expect(failed.error.message).toContain('engine exploded');
    expect((await fetch(`${reject.url}/v1/responses/${failed.id}`)).status).toBe(404);
    const stream = client.responses.stream({ model: 'scripted', input: 'EXPLODE' });
    const seen: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const ev of stream) seen.push(ev);
    const last = seen.at(-1) as OpenAI.Responses.ResponseFailedEvent;
    expect(last.type).toBe('response.failed');
    expect(last.response.error?.message).toContain('engine exploded');
    expect((await stream.finalResponse()).status).toBe('failed');
  });

  test('past --responses-max-mb the least recently used responses are evicted (404), the newest kept', async () => {
    const client = sdk(small.url);
    const ids: string[] = [];
    for (let n = 0; n < 12; n++) ids.push((await client.responses.create({ model: 'scripted', input: `Question ${n}: ${'words '.repeat(40)}`, tools: [weather] })).id);
    const kept = await Promise.all(ids.map(async (id) => (await fetch(`${small.url}/v1/responses/${id}`)).status));
    expect(kept.at(-1)).toBe(200);
    expect(kept[0]).toBe(404);
    expect(kept.filter((s) => s === 404).length).toBeGreaterThan(0);
    const survivors = kept.map((s, i) => (s === 200 ? i : -1)).filter((i) => i >= 0);
    expect(survivors).toEqual(survivors.map((_, k) => 12 - survivors.length + k)); // the most recent ones
    const gone = await client.responses.create({ model: 'scripted', input: 'more', previous_response_id: ids[0] }).catch((e) => e);
    expect(gone).toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe('--responses-dir over HTTP (tiny-a)', () => {
  test('stored responses outlive a restart of the server; DELETE removes the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'responses-'));
    try {
      const a = await startTestServer({ parallel: 1, responsesDir: dir, responsesMaxAgeSeconds: 3600 });
      let id: string, first: unknown;
      try {
        const r = await fetch(`${a.url}/v1/responses`, { method: 'POST', body: JSON.stringify({ model: 'tiny-a', input: 'Hello', max_output_tokens: 8, temperature: 0 }) });
        first = await r.json();
        id = (first as { id: string }).id;
        expect(readdirSync(dir)).toEqual([`${id}.json`]);
      } finally {
        await a.stop();
      }
      const b = await startTestServer({ parallel: 1, responsesDir: dir, responsesMaxAgeSeconds: 3600 });
      try {
        expect(await (await fetch(`${b.url}/v1/responses/${id}`)).json()).toEqual(first);
        const next = await fetch(`${b.url}/v1/responses`, { method: 'POST', body: JSON.stringify({ model: 'tiny-a', input: 'More', previous_response_id: id, max_output_tokens: 8, temperature: 0 }) });
        expect(next.status).toBe(200);
        expect((await fetch(`${b.url}/v1/responses/${id}`, { method: 'DELETE' })).status).toBe(200);
        expect(readdirSync(dir)).not.toContain(`${id}.json`);
      } finally {
        await b.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
