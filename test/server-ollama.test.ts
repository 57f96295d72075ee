// Ollama's API with the official `ollama` npm client against real servers on 127.0.0.1: golden
// tiny-a (greedy output must equal the OpenAI chat route's for the same messages), and a scripted
// engine that answers with a harmony tool call (the call and its result round trip).
import Ajv from 'ajv';
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { Ollama, type ChatResponse, type Message } from 'ollama';
import OpenAI from 'openai';
import { loadCheckpoint } from '../src/model/checkpoint.ts';
import type { RunningServer } from '../src/server/start.ts';
import { tokenizerForCheckpoint } from '../src/tokenizer/index.ts';
import { startScriptedServer, startTestServer, TINY } from './helpers/server.ts';

setDefaultTimeout(60_000);
const KEY = 'sk-ollama-test';
let srv: RunningServer, ollama: Ollama, openai: OpenAI, name: string;

beforeAll(async () => {
  srv = await startTestServer({ apiKey: KEY });
  name = srv.host.served!.model.id;
  ollama = new Ollama({ host: srv.url, headers: { Authorization: `Bearer ${KEY}` } });
  openai = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: KEY, maxRetries: 0, timeout: 110_000 });
});
afterAll(() => srv?.stop());

const messages: Message[] = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Name three colours.' }];
const N = 24;

/** The OpenAI route's greedy reply to the same messages. */
async function openaiGreedy(max = N) {
  const r = await openai.chat.completions.create({ model: name, messages: messages as OpenAI.ChatCompletionMessageParam[], temperature: 0, max_tokens: max });
  const m = r.choices[0].message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
  return { content: m.content ?? '', reasoning: m.reasoning_content ?? '', finish: r.choices[0].finish_reason, usage: r.usage! };
}

async function errorOf(p: Promise<unknown>): Promise<{ status_code: number; error: string }> {
  try { await p; } catch (e) { return e as { status_code: number; error: string }; }
  throw new Error('expected an error');
}

describe('ollama client: chat and generate (tiny-a)', () => {
  test('chat, not streamed: greedy reply = the OpenAI route\'s; final statistics', async () => {
    const want = await openaiGreedy();
    expect(want.content + want.reasoning).not.toBe('');
    const r = await ollama.chat({ model: name, messages, stream: false, options: { temperature: 0, num_predict: N } });
    expect(r.message.role).toBe('assistant');
    expect(r.message.content).toBe(want.content);
    expect(r.message.thinking ?? '').toBe(want.reasoning);
    expect(r.done).toBe(true);
    expect(r.done_reason).toBe(want.finish === 'length' ? 'length' : 'stop');
    expect(r.eval_count).toBe(want.usage.completion_tokens);
    expect(r.prompt_eval_count).toBeLessThanOrEqual(want.usage.prompt_tokens); // a cached prefix is not evaluated again
    expect(r.total_duration).toBeGreaterThan(0);
    expect(r.eval_duration).toBeGreaterThan(0);
    expect(r.total_duration).toBeGreaterThanOrEqual(r.prompt_eval_duration + r.eval_duration);
  });

  test('chat, streamed (the default): NDJSON pieces add up to the same reply, one final done object', async () => {
    const want = await openaiGreedy();
    const parts: ChatResponse[] = [];
    for await (const p of await ollama.chat({ model: name, messages, stream: true, options: { temperature: 0, num_predict: N } })) parts.push(p);
    const last = parts.at(-1)!;
    expect(parts.slice(0, -1).every((p) => !p.done)).toBe(true);
    expect(last.done).toBe(true);
    expect(last.eval_count).toBe(want.usage.completion_tokens);
    expect(parts.map((p) => p.message.content).join('')).toBe(want.content);
    expect(parts.map((p) => p.message.thinking ?? '').join('')).toBe(want.reasoning);
    // the raw stream: application/x-ndjson, one JSON object a line
    const res = await fetch(`${srv.url}/api/chat`, { method: 'POST', headers: { Authorization: `Bearer ${KEY}` }, body: JSON.stringify({ model: name, messages, options: { temperature: 0, num_predict: 4 } }) });
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await res.text()).trimEnd().split('\n').map((l) => JSON.parse(l) as { done: boolean });
    expect(lines.at(-1)!.done).toBe(true);
  });

  test('generate renders the prompt (and system) as a chat: the same greedy reply', async () => {
    const want = await openaiGreedy();
    const r = await ollama.generate({ model: name, system: 'Be brief.', prompt: 'Name three colours.', stream: false, options: { temperature: 0, num_predict: N } });
    expect(r.response).toBe(want.content);
    expect(r.thinking ?? '').toBe(want.reasoning);
    expect(r.done).toBe(true);
    let streamed = '', thinking = '', done = 0;
    for await (const p of await ollama.generate({ model: name, system: 'Be brief.', prompt: 'Name three colours.', stream: true, options: { temperature: 0, num_predict: N } })) {
      streamed += p.response ?? '';
      thinking += p.thinking ?? '';
      done += p.done ? 1 : 0;
    }
    expect([streamed, thinking, done]).toEqual([want.content, want.reasoning, 1]);
  });

  test('generate raw = /v1/completions on the same text (greedy)', async () => {
    const c = await openai.completions.create({ model: name, prompt: 'Once upon a time', temperature: 0, max_tokens: 12 });
    const r = await ollama.generate({ model: name, prompt: 'Once upon a time', raw: true, stream: false, options: { temperature: 0, num_predict: 12 } });
    expect(r.response).toBe(c.choices[0].text);
    expect(r.eval_count).toBe(c.usage!.completion_tokens);
  });

  test('think: false = reasoning_budget 0 (the answer opens at once); a level = reasoning_effort', async () => {
    const off = await ollama.chat({ model: name, messages, stream: false, think: false, options: { temperature: 0, num_predict: N } });
    const noReasoning = await openai.chat.completions.create({ model: name, messages: messages as OpenAI.ChatCompletionMessageParam[], temperature: 0, max_tokens: N, reasoning_budget: 0 } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(off.message.thinking ?? '').toBe('');
    expect(off.message.content).toBe(noReasoning.choices[0].message.content ?? '');
    expect(off.message.content).not.toBe((await openaiGreedy()).content); // tiny-a left alone opens no final channel at once
    const on = await ollama.chat({ model: name, messages, stream: false, think: 'high', options: { temperature: 0, num_predict: N } });
    const viaOpenai = await openai.chat.completions.create({ model: name, messages: messages as OpenAI.ChatCompletionMessageParam[], temperature: 0, max_tokens: N, reasoning_effort: 'high' });
    const m = viaOpenai.choices[0].message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
    expect(on.message.thinking ?? '').toBe(m.reasoning_content ?? '');
    expect(on.message.content).toBe(m.content ?? '');
  });

  test('format: a JSON schema is enforced (every answer validates), "json" gives a JSON object', async () => {
    const schema = { type: 'object', properties: { colour: { type: 'string' }, n: { type: 'integer' }, ok: { type: 'boolean' } }, required: ['colour', 'n', 'ok'], additionalProperties: false };
    const ajv = new Ajv({ strict: false });
    for (let seed = 0; seed < 3; seed++) {
      const r = await ollama.chat({ model: name, messages, stream: false, think: false, format: schema, options: { seed, temperature: 1, num_predict: 200 } });
      const v = JSON.parse(r.message.content) as unknown;
      expect(ajv.validate(schema, v)).toBe(true);
    }
    const g = await ollama.generate({ model: name, prompt: 'JSON please', stream: false, think: false, format: 'json', options: { seed: 7, num_predict: 200 } });
    const v = JSON.parse(g.response) as unknown;
    expect(typeof v === 'object' && v !== null && !Array.isArray(v)).toBe(true);
  });

  test('model names: the id, NAME:latest; a load request (no messages) answers done_reason "load"', async () => {
    const r = await ollama.chat({ model: `${name}:latest`, messages: [{ role: 'user', content: 'hi' }], stream: false, options: { num_predict: 2 } });
    expect(r.model).toBe(`${name}:latest`);
    const load = await ollama.chat({ model: name, messages: [], stream: false });
    expect([load.done, load.done_reason]).toEqual([true, 'load']);
  });
});

describe('ollama client: listings', () => {
  test('tags, show, ps, version', async () => {
    const tags = await ollama.list();
    expect(tags.models.map((m) => m.name)).toEqual(srv.host.served!.names);
    const t = tags.models[0];
    expect(t.model).toBe(name);
    expect(t.size).toBe(srv.host.served!.model.backend.weightBytes);
    expect(t.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(t.details).toMatchObject({ format: 'gguf', family: 'gpt-oss' });
    expect(t.details.parameter_size).toMatch(/^\d+\.\d[KMB]$/);
    expect(t.details.quantization_level).toMatch(/^[A-Z0-9_]+$/);
    const show = await ollama.show({ model: name });
    expect(show.capabilities).toEqual(['completion', 'tools', 'thinking']);
    const info = show.model_info as unknown as Record<string, unknown>;
    expect(info['gptoss.context_length']).toBe(srv.host.served!.model.context);
    expect(info['general.architecture']).toBe('gptoss');
    expect(show.details).toEqual(t.details);
    const ps = await ollama.ps();
    expect(ps.models.map((m) => m.name)).toEqual([name]);
    expect(new Date(ps.models[0].expires_at).getTime()).toBeGreaterThan(Date.now());
    expect((await ollama.version()).version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test('HEAD / and GET / answer 200 (clients probe them)', async () => {
    expect((await fetch(`${srv.url}/`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${srv.url}/`)).status).toBe(200);
  });
});

describe('ollama client: errors in Ollama\'s shape', () => {
  test('unknown model: 404 "model \'x\' not found" on chat, generate and show', async () => {
    for (const p of [
      ollama.chat({ model: 'no-such-model', messages, stream: false }),
      ollama.generate({ model: 'no-such-model', prompt: 'hi', stream: false }),
      ollama.show({ model: 'no-such-model' }),
    ]) {
      const e = await errorOf(p);
      expect(e.status_code).toBe(404);
      expect(e.error).toContain("model 'no-such-model' not found");
    }
  });

  test('bad bodies: 400 with {"error"} naming the problem', async () => {
    const post = async (path: string, body: unknown) => {
      const r = await fetch(`${srv.url}/api/${path}`, { method: 'POST', headers: { Authorization: `Bearer ${KEY}` }, body: typeof body === 'string' ? body : JSON.stringify(body) });
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };
    const cases: Array<[string, unknown, RegExp]> = [
      ['chat', '{not json', /not valid JSON/],
      ['chat', { model: name, messages: 'hi' }, /messages/],
      ['chat', { model: name, messages, options: { temperature: 'hot' } }, /options\.temperature/],
      ['chat', { model: name, messages, format: 'yaml' }, /format/],
      ['chat', { model: name, messages: [{ role: 'user', content: 'see', images: ['aGk='] }] }, /text only/],
      ['chat', { model: name, messages: [{ role: 'tool', content: '42' }] }, /tool_name/],
      ['generate', { model: name, prompt: 'def f(', suffix: 'return x' }, /suffix/],
      ['generate', { model: name, prompt: 'hi', context: [1, 2] }, /raw: true/],
      ['generate', { prompt: 'hi' }, /model/],
    ];
    for (const [path, body, msg] of cases) {
      const r = await post(path, body);
      expect({ path, status: r.status }).toEqual({ path, status: 400 });
      expect(Object.keys(r.body)).toEqual(['error']);
      expect(r.body.error).toMatch(msg);
    }
    expect((await errorOf(ollama.chat({ model: name, messages: [{ role: 'user', content: 'x', images: ['aGk='] }], stream: false }))).status_code).toBe(400);
  });

  test('Ollama endpoints not offered (pull, delete, embed…): 501 with the reason', async () => {
    for (const p of [ollama.pull({ model: 'llama3' }), ollama.delete({ model: name }), ollama.embed({ model: name, input: 'hi' })]) {
      const e = await errorOf(p);
      expect(e.status_code).toBe(501);
      expect(e.error).toMatch(/not supported here: \S/);
    }
  });

  test('the API key holds on /api as on /v1', async () => {
    const anon = new Ollama({ host: srv.url });
    const e = await errorOf(anon.list());
    expect(e.status_code).toBe(401);
  });
});

const CALL = '<|channel|>analysis<|message|>Need the weather.<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city":"Paris"}<|call|>';
const ANSWER = '<|channel|>analysis<|message|>The tool says sunny.<|end|><|start|>assistant<|channel|>final<|message|>It is sunny in Paris.<|return|>';
const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Current weather of a city.', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];

describe('ollama client: tools (scripted engine)', () => {
  let s: Awaited<ReturnType<typeof startScriptedServer>>, client: Ollama;
  beforeAll(async () => {
    const ckpt = loadCheckpoint(TINY);
    const tok = tokenizerForCheckpoint(ckpt);
    ckpt.close();
    s = await startScriptedServer(tok, (prompt) => (prompt.includes('<|start|>functions.get_weather') ? ANSWER : CALL));
    client = new Ollama({ host: s.url });
  });
  afterAll(() => s?.stop());

  test('a tool call comes back with object arguments; its result round trips into the prompt', async () => {
    const ask: Message = { role: 'user', content: 'Weather in Paris?' };
    const r = await client.chat({ model: 'scripted', messages: [ask], tools, stream: false });
    expect(r.message.tool_calls).toHaveLength(1);
    expect(r.message.tool_calls![0].function).toMatchObject({ name: 'get_weather', arguments: { city: 'Paris' } });
    expect(r.message.thinking).toBe('Need the weather.');
    expect(r.done_reason).toBe('stop');
    expect(s.prompts.at(-1)).toContain('get_weather');

    const streamed: ChatResponse[] = [];
    for await (const p of await client.chat({ model: 'scripted', messages: [ask], tools, stream: true })) streamed.push(p);
    const calls = streamed.flatMap((p) => p.message.tool_calls ?? []);
    expect(calls.map((c) => c.function)).toEqual([r.message.tool_calls![0].function]);

    const next = await client.chat({
      model: 'scripted', tools, stream: false,
      messages: [ask, r.message, { role: 'tool', content: '{"sky":"sunny"}', tool_name: 'get_weather' }],
    });
    expect(next.message.content).toBe('It is sunny in Paris.');
    expect(s.prompts.at(-1)).toContain('<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>{"sky":"sunny"}');
  });
});
