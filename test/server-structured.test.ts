// Structured output and forced tool calls with real clients against the demo checkpoint (random
// weights: left alone it writes noise, never JSON). `serve --reasoning-budget 8`: after 8 analysis
// tokens the final channel is forced open. Every generateObject result must validate (ajv) against
// its schema, every required call must name an offered function with arguments valid for it.
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateObject, generateText, jsonSchema, tool } from 'ai';
import Ajv from 'ajv';
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import OpenAI from 'openai';
import { JsonGrammars } from '../src/generate/index.ts';
import { bunRuntime } from '../src/server/runtime.bun.ts';
import { startService } from '../src/boot/service.ts';
import type { RunningServer } from '../src/server/start.ts';
import { o200kHarmony } from '../src/tokenizer/index.ts';
import { bool, int, num, obj, str, type Schema } from './helpers/json-schemas.ts';

setDefaultTimeout(120_000);
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false; // generateObject is deprecated in ai 7


/** Varied shapes: nesting, arrays, enums, numbers, optional members, nullables, escapes in enum text. */
const SCHEMAS: Array<[string, Schema]> = [
  ['todo', obj({ title: str, done: bool })],
  ['person', obj({ name: str, age: int, email: str }, ['name', 'age'])],
  ['point', obj({ x: num, y: num })],
  ['status', obj({ status: { enum: ['ok', 'warn', 'error'] }, code: int })],
  ['tags', obj({ tags: { type: 'array', items: str } })],
  ['matrix', obj({ rows: { type: 'array', items: { type: 'array', items: int } } })],
  ['address', obj({ street: str, city: str, zip: str })],
  ['order', obj({ id: int, items: { type: 'array', items: obj({ sku: str, qty: int }) } })],
  ['nested', obj({ user: obj({ id: int, profile: obj({ nick: str, admin: bool }) }) })],
  ['quote', obj({ text: { enum: ['say "hi"', 'back\\slash', 'tab\there', 'new\nline'] }, ok: bool })],
  ['nullable', obj({ note: { anyOf: [str, { type: 'null' }] }, n: { type: ['integer', 'null'] } })],
  ['optional', obj({ a: int, b: str, c: bool, d: num }, ['a'])],
  ['const', obj({ kind: { const: 'event' }, at: int })],
  ['scores', obj({ scores: { type: 'array', items: num }, best: num })],
  ['enum-array', obj({ colors: { type: 'array', items: { enum: ['red', 'green', 'blue'] } } })],
  ['mixed-enum', obj({ v: { enum: [1, 'two', true, null] } })],
  ['event', obj({ name: str, when: obj({ day: int, month: int }), public: bool })],
  ['bounded', obj({ level: { type: 'integer', minimum: 1, maximum: 5 }, label: str })],
  ['tree', obj({ value: int, children: { type: 'array', items: obj({ value: int }) } })],
  ['flags', obj({ a: bool, b: bool, c: bool, d: bool })],
  ['book', obj({ title: str, year: int, authors: { type: 'array', items: str }, genre: { enum: ['sf', 'crime'] } }, ['title', 'genre'])],
  ['empty-ok', obj({ list: { type: 'array', items: obj({ k: str }) } })],
];

const TOOLS = {
  get_weather: { description: 'Weather of a city.', parameters: obj({ city: str, unit: { enum: ['c', 'f'] } }, ['city']) },
  add: { description: 'Adds two numbers.', parameters: obj({ a: num, b: num }) },
  lookup: { description: 'Finds people.', parameters: obj({ query: str, limit: int, filters: { type: 'array', items: str } }, ['query']) },
} as const;
const openAiTools: OpenAI.ChatCompletionTool[] = Object.entries(TOOLS).map(([name, t]) => ({ type: 'function', function: { name, description: t.description, parameters: t.parameters } }));

const ajv = new Ajv({ strict: false });
let srv: RunningServer;

beforeAll(async () => {
  await JsonGrammars.for(o200kHarmony()); // the vocabulary's grammar tables, once per process
  srv = await startService({ model: null, host: '127.0.0.1', port: 0, engine: { threads: 2, backend: 'cpu' }, parallel: 1, maxQueue: 8, reasoningBudget: 8, aliases: ['my-gpt'] }, bunRuntime, { log: () => {} });
  await srv.ready;
});
afterAll(() => srv?.stop());

describe('structured output on the demo (random weights)', () => {
  test(`generateObject: ${SCHEMAS.length} schemas, two providers, every object validates`, async () => {
    const compat = createOpenAICompatible({ name: 'oss-edge', baseURL: `${srv.url}/v1`, supportsStructuredOutputs: true });
    const openai = createOpenAI({ baseURL: `${srv.url}/v1`, apiKey: 'unused' });
    const failures: string[] = [];
    let valid = 0;
    for (const [i, [name, schema]] of SCHEMAS.entries()) {
      const model = i % 2 ? openai.chat('oss-edge-demo') : compat.chatModel('oss-edge-demo');
      try {
        // A bound on the reply, as clients set: the document is steered to close within it.
        const r = await generateObject({ model, schema: jsonSchema(schema), schemaName: name.replace(/\W/g, '_'), prompt: `Give me a ${name}.`, seed: i, maxOutputTokens: 200 });
        if (ajv.validate(schema, r.object)) valid++;
        else failures.push(`${name}: ${ajv.errorsText()} in ${JSON.stringify(r.object)}`);
      } catch (e) {
        failures.push(`${name}: ${(e as Error).message} ${String((e as { text?: string }).text ?? '').slice(0, 300)}`);
      }
    }
    console.log(`generateObject on the demo: ${valid}/${SCHEMAS.length} valid`);
    expect(failures).toEqual([]);
  }, 600_000); // 44 generations on the demo: ~30 s quiet, minutes on a loaded 2-core machine

  test('tool_choice required (openai SDK): always a call of an offered function, arguments valid for it, streamed in deltas', async () => {
    const client = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    let valid = 0;
    const N = 4;
    for (let seed = 0; seed < N; seed++) {
      const r = await client.chat.completions.create({ model: 'oss-edge-demo', messages: [{ role: 'user', content: 'Do something.' }], tools: openAiTools, tool_choice: 'required', seed, max_tokens: 150 });
      expect(r.choices[0].finish_reason).toBe('tool_calls');
      const call = r.choices[0].message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
      const t = TOOLS[call.function.name as keyof typeof TOOLS];
      expect(t).toBeDefined();
      if (ajv.validate(t.parameters, JSON.parse(call.function.arguments))) valid++;
    }
    console.log(`tool_choice required on the demo: ${valid}/${N} valid`);
    expect(valid).toBe(N);

    const stream = await client.chat.completions.create({ model: 'oss-edge-demo', messages: [{ role: 'user', content: 'Add.' }], tools: openAiTools, tool_choice: { type: 'function', function: { name: 'add' } }, seed: 9, max_tokens: 150, stream: true });
    let args = '', deltas = 0, name = '', finish = null, usage: OpenAI.CompletionUsage | undefined;
    for await (const c of stream) {
      for (const d of c.choices[0]?.delta?.tool_calls ?? []) {
        if (d.function?.name) name = d.function.name;
        if (d.function?.arguments) { args += d.function.arguments; deltas++; }
      }
      finish = c.choices[0]?.finish_reason ?? finish;
      usage = c.usage ?? usage;
    }
    expect(name).toBe('add');
    expect(ajv.validate(TOOLS.add.parameters, JSON.parse(args))).toBe(true);
    expect(deltas).toBeGreaterThan(1);
    expect(finish).toBe('tool_calls');
    expect(usage?.completion_tokens).toBeGreaterThan(0); // on the final chunk, no stream_options sent
  });

  test("AI SDK generateText: toolChoice 'required' and a named tool", async () => {
    const compat = createOpenAICompatible({ name: 'oss-edge', baseURL: `${srv.url}/v1` });
    const tools = Object.fromEntries(Object.entries(TOOLS).map(([n, t]) => [n, tool({ description: t.description, inputSchema: jsonSchema(t.parameters as Schema) })]));
    for (let seed = 0; seed < 2; seed++) {
      const r = await generateText({ model: compat.chatModel('oss-edge-demo'), prompt: 'Help me.', tools, toolChoice: 'required', seed, maxOutputTokens: 150 });
      expect(r.toolCalls).toHaveLength(1);
      const t = TOOLS[r.toolCalls[0].toolName as keyof typeof TOOLS];
      expect(ajv.validate(t.parameters, r.toolCalls[0].input)).toBe(true);
    }
    const named = await generateText({ model: compat.chatModel('oss-edge-demo'), prompt: 'Weather?', tools, toolChoice: { type: 'tool', toolName: 'get_weather' }, seed: 3, maxOutputTokens: 150 });
    expect(named.toolCalls.map((c) => c.toolName)).toEqual(['get_weather']);
    expect(ajv.validate(TOOLS.get_weather.parameters, named.toolCalls[0].input)).toBe(true);
    expect(named.usage.inputTokens).toBeGreaterThan(0);
  });
});

describe('reasoning budget, aliases, chunk fields', () => {
  const chat = (body: object) => fetch(`${srv.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], ...body }) });

  // The model picks analysis or the answer at each header (the exact count: constrain-harmony.test).
  test('a request reasoning_budget overrides the server default; 0 skips reasoning; the answer always opens', async () => {
    const seen = new Set<number>(); // reasoning counts seen
    // (A reply keeps ~96 tokens for its answer: reasoning only happens with more room than that.)
    for (const [budget, seed] of [[0, 0], [3, 0], [3, 1], [3, 2], [40, 5]]) {
      const r = await (await chat({ reasoning_budget: budget, max_tokens: 110, seed })).json();
      const used = r.usage.completion_tokens_details.reasoning_tokens;
      expect(used).toBeLessThanOrEqual(budget);
      seen.add(used);
      expect(r.choices[0].message.content.length).toBeGreaterThan(0);
    }
    expect(seen.size).toBeGreaterThan(0);
    const bad = await chat({ reasoning_budget: -2 });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.param).toBe('reasoning_budget');
  });

  test('streamed: reasoning in reasoning_content and reasoning; usage on the finish chunk without include_usage', async () => {
    let chunks: Array<{ choices: Array<{ delta: Record<string, string>; finish_reason: string | null }>; usage?: object }> = [];
    let reasoning: typeof chunks = [];
    for (let seed = 0; seed < 8 && reasoning.length === 0; seed++) { // a seed whose reply reasons
      const text = await (await chat({ stream: true, max_tokens: 120, seed, response_format: { type: 'json_object' } })).text();
      chunks = text.split('\n\n').filter((l) => l.startsWith('data: {')).map((l) => JSON.parse(l.slice(6)));
      reasoning = chunks.filter((c) => c.choices[0]?.delta?.reasoning_content);
    }
    expect(reasoning.length).toBeGreaterThan(0);
    for (const c of reasoning) expect(c.choices[0].delta.reasoning).toBe(c.choices[0].delta.reasoning_content);
    const last = chunks.at(-1)!;
    expect(last.choices[0].finish_reason).not.toBeNull();
    expect(last.usage).toMatchObject({ completion_tokens_details: { reasoning_tokens: 8 } });
  });

  test('aliases are listed and answered under their own name; an unknown model is a 404', async () => {
    const models = await (await fetch(`${srv.url}/v1/models`)).json();
    expect(models.data.map((m: { id: string }) => m.id)).toEqual(['oss-edge-demo', 'my-gpt']);
    expect(models.data[1].meta.alias_of).toBe('oss-edge-demo');
    expect((await fetch(`${srv.url}/v1/models/my-gpt`)).status).toBe(200);
    const r = await (await chat({ model: 'my-gpt', max_tokens: 2 })).json();
    expect(r.model).toBe('my-gpt');
    const missing = await chat({ model: 'gpt-oss:120b', max_tokens: 2 });
    expect(missing.status).toBe(404);
    expect((await missing.json()).error).toMatchObject({ code: 'model_not_found', param: 'model', type: 'invalid_request_error' });
  });

  test('a schema that cannot be enforced is a 400 naming the field', async () => {
    const r = await chat({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'nope' } } }, max_tokens: 5 });
    expect(r.status).toBe(400);
    const e = (await r.json()).error;
    expect(e).toMatchObject({ param: 'response_format.json_schema.schema', code: 'invalid_schema' });
    expect(e.message).toContain('nope');
    const required = await chat({ tool_choice: 'required', max_tokens: 5 });
    expect(required.status).toBe(400);
    expect((await required.json()).error.param).toBe('tool_choice');
  });
});
