// /v1/responses with the official openai SDK against the demo checkpoint (random weights), served
// with --reasoning-budget 8 so replies reach the final channel: create and stream (event order,
// sequence numbers), a previous_response_id chain interleaved with other requests (the prompt cache
// restores it: cached_tokens), a function-call round trip, text.format json_schema, the stored
// responses' routes and their 404s, and greedy output equal to the chat route's.
import Ajv from 'ajv';
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import OpenAI from 'openai';
import { startService } from '../src/boot/service.ts';
import { JsonGrammars } from '../src/generate/index.ts';
import { bunRuntime } from '../src/server/runtime.bun.ts';
import type { RunningServer } from '../src/server/start.ts';
import { o200kHarmony } from '../src/tokenizer/index.ts';

setDefaultTimeout(300_000);

type Schema = Record<string, unknown>;
const obj = (properties: Record<string, Schema>, required = Object.keys(properties)): Schema => ({ type: 'object', properties, required, additionalProperties: false });
const WEATHER = obj({ city: { type: 'string' }, unit: { enum: ['c', 'f'] } }, ['city']);
const ADD = obj({ a: { type: 'number' }, b: { type: 'number' } });
const TOOLS: OpenAI.Responses.FunctionTool[] = [
  { type: 'function', name: 'get_weather', description: 'Weather of a city.', parameters: WEATHER, strict: true },
  { type: 'function', name: 'add', description: 'Adds two numbers.', parameters: ADD, strict: true },
];

const ajv = new Ajv({ strict: false });
let srv: RunningServer, client: OpenAI;

beforeAll(async () => {
  await JsonGrammars.for(o200kHarmony());
  srv = await startService({
    model: null, host: '127.0.0.1', port: 0, engine: { threads: 2, backend: 'cpu' }, parallel: 1, maxQueue: 8, reasoningBudget: 8, promptCacheBytes: 256 << 20,
  }, bunRuntime, { log: () => {} });
  await srv.ready;
  client = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
afterAll(() => srv?.stop());

const post = (path: string, body: object) => fetch(`${srv.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

describe('responses.create', () => {
  test('a string input: a response object in OpenAI shape, usage, a stored copy', async () => {
    const r = await client.responses.create({ model: 'oss-edge-demo', input: 'Say hello.', instructions: 'Be brief.', max_output_tokens: 60, temperature: 0, metadata: { k: 'v' }, user: 'u1' });
    expect(r.id).toMatch(/^resp_[0-9a-f]{24}$/);
    expect(r).toMatchObject({ object: 'response', model: 'oss-edge-demo', instructions: 'Be brief.', metadata: { k: 'v' }, user: 'u1', store: true, error: null, max_output_tokens: 60 });
    expect(['completed', 'incomplete']).toContain(r.status);
    expect(r.incomplete_details).toEqual(r.status === 'incomplete' ? { reason: 'max_output_tokens' } : null);
    const message = r.output.find((o) => o.type === 'message') as OpenAI.Responses.ResponseOutputMessage;
    expect(message.id).toMatch(/^msg_/);
    expect(message.content[0].type).toBe('output_text');
    expect(r.output_text.length).toBeGreaterThan(0); // the SDK's join of the output_text parts
    const reasoning = r.output.find((o) => o.type === 'reasoning') as OpenAI.Responses.ResponseReasoningItem | undefined;
    const u = r.usage!;
    expect(u.output_tokens_details.reasoning_tokens).toBe(reasoning ? 8 : 0); // the budget, reached or skipped
    if (reasoning) expect(reasoning.content![0].text.length).toBeGreaterThan(0);
    expect(u.total_tokens).toBe(u.input_tokens + u.output_tokens);
    expect(u.output_tokens).toBeLessThanOrEqual(60);
    expect(await client.responses.retrieve(r.id)).toMatchObject({ id: r.id, output: r.output, usage: r.usage });
  });

  test('max_output_tokens reached: status incomplete with incomplete_details', async () => {
    const r = await client.responses.create({ input: 'Write a long story.', max_output_tokens: 16, temperature: 0, reasoning: { effort: 'none' } });
    expect(r.status).toBe('incomplete');
    expect(r.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(r.usage!.output_tokens).toBe(16);
    expect(r.usage!.output_tokens_details.reasoning_tokens).toBe(0); // effort none: no analysis
  });

  test('greedy output equals the chat route for the same conversation', async () => {
    const messages = [{ role: 'system' as const, content: 'You answer in French.' }, { role: 'user' as const, content: 'What is the capital of Peru?' }];
    const chat = await client.chat.completions.create({ model: 'oss-edge-demo', messages, max_tokens: 50, temperature: 0 });
    const resp = await client.responses.create({ model: 'oss-edge-demo', input: messages.map((m) => ({ role: m.role, content: m.content })), max_output_tokens: 50, temperature: 0 });
    const reasoning = resp.output.filter((o) => o.type === 'reasoning').map((o) => (o as OpenAI.Responses.ResponseReasoningItem).content![0].text).join('');
    expect(resp.output_text).toBe(chat.choices[0].message.content!);
    expect(reasoning).toBe((chat.choices[0].message as { reasoning_content?: string }).reasoning_content ?? '');
    expect(resp.usage!.input_tokens).toBe(chat.usage!.prompt_tokens);
    expect(resp.usage!.output_tokens).toBe(chat.usage!.completion_tokens);
  });
});

describe('responses.stream', () => {
  /** Checks the order of a stream's events against its final response; returns the event types. */
  function checkSequence(events: OpenAI.Responses.ResponseStreamEvent[], final: OpenAI.Responses.Response): string[] {
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.slice(0, 2).map((e) => e.type)).toEqual(['response.created', 'response.in_progress']);
    expect(events.at(-1)!.type).toBe(final.status === 'incomplete' ? 'response.incomplete' : 'response.completed');
    // each item: added, its parts and deltas, their done events, output_item.done; in output_index order
    let open: string | null = null, index = -1, text = '';
    for (const e of events.slice(2, -1)) {
      if (e.type === 'response.output_item.added') { expect(open).toBeNull(); open = e.item.id!; expect(e.output_index).toBe(++index); text = ''; continue; }
      expect(open).not.toBeNull();
      if ('item_id' in e) expect(e.item_id).toBe(open!);
      if ('output_index' in e) expect(e.output_index).toBe(index);
      if (e.type === 'response.output_text.delta' || e.type === 'response.reasoning_text.delta') text += e.delta;
      if (e.type === 'response.output_text.done' || e.type === 'response.reasoning_text.done') expect(e.text).toBe(text);
      if (e.type === 'response.output_item.done') { expect(e.item.id).toBe(open!); expect(final.output[index]).toMatchObject(e.item as object); open = null; }
    }
    expect(open).toBeNull();
    expect(final.output).toHaveLength(index + 1);
    return events.map((e) => e.type);
  }

  test('the event sequence: created, in_progress, items opened, deltas, closed, completed; sequence numbers 0, 1, 2, …', async () => {
    const stream = client.responses.stream({ input: 'Tell me something.', max_output_tokens: 50, temperature: 0, seed: 1 });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const e of stream) events.push(e);
    const final = await stream.finalResponse();
    const types = checkSequence(events, final);
    const message = types.indexOf('response.output_text.delta');
    expect(types.slice(message - 2, message)).toEqual(['response.output_item.added', 'response.content_part.added']);
    expect(types.slice(-4)).toEqual(['response.output_text.done', 'response.content_part.done', 'response.output_item.done', final.status === 'incomplete' ? 'response.incomplete' : 'response.completed']);
    const stored = await client.responses.retrieve(final.id); // stored when streamed too
    expect(stored.output.map((o) => o.id)).toEqual(final.output.map((o) => o.id));
    expect(stored.output_text).toBe(final.output_text);
    expect(stored.usage).toEqual(final.usage);
  });

  test('reasoning streams as its own item: reasoning_text deltas, then the message', async () => {
    let types: string[] = [];
    // a seed whose reply reasons (a reply keeps ~96 tokens for its answer: reasoning needs more room)
    for (let seed = 0; seed < 10 && !types.includes('response.reasoning_text.delta'); seed++) {
      const stream = client.responses.stream({ input: 'Think, then answer.', max_output_tokens: 120, seed, text: { format: { type: 'json_object' } } });
      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const e of stream) events.push(e);
      types = checkSequence(events, await stream.finalResponse());
    }
    const r = types.indexOf('response.reasoning_text.delta');
    expect(r).toBeGreaterThan(0);
    expect(types.slice(r - 2, r)).toEqual(['response.output_item.added', 'response.content_part.added']);
    expect(types.indexOf('response.reasoning_text.done')).toBeLessThan(types.indexOf('response.output_text.delta'));
  });

  test('raw SSE: each frame is named after its type; no [DONE]', async () => {
    const text = await (await post('/v1/responses', { input: 'Hi', max_output_tokens: 8, stream: true, temperature: 0 })).text();
    const frames = text.trim().split('\n\n');
    for (const f of frames) {
      const [ev, data] = f.split('\n');
      expect(ev.slice('event: '.length)).toBe(JSON.parse(data.slice('data: '.length)).type);
    }
    expect(text).not.toContain('[DONE]');
  });
});

describe('previous_response_id', () => {
  test('a three-turn chain interleaved with other requests: turns 2 and 3 prefill only their new input (cached_tokens)', async () => {
    const cached: number[] = [], inputTokens: number[] = [];
    let previous: string | undefined;
    for (let turn = 0; turn < 3; turn++) {
      const r = await client.responses.create({ input: turn ? `And then, part ${turn + 1}?` : 'Tell me a story about a lighthouse keeper and a storm.', previous_response_id: previous, max_output_tokens: 24, temperature: 0 });
      cached.push(r.usage!.input_tokens_details.cached_tokens);
      inputTokens.push(r.usage!.input_tokens);
      previous = r.id;
      // other conversations take the only slot in between
      await client.responses.create({ input: `An unrelated question number ${turn}: what is the tallest mountain?`, max_output_tokens: 8, store: false });
      await client.chat.completions.create({ messages: [{ role: 'user', content: `Another one, ${turn}.` }], max_tokens: 8 });
    }
    console.log(`responses chain: cached_tokens per turn ${cached.join(', ')} of ${inputTokens.join(', ')} input tokens`);
    expect(cached[0]).toBeLessThan(inputTokens[0] - 8); // at most the system preamble other requests share
    // turn n+1 re-renders turn n without its analysis (spec §6.8): the reuse ends where that began
    expect(cached[1]).toBeGreaterThanOrEqual(inputTokens[0]);
    expect(cached[2]).toBeGreaterThanOrEqual(inputTokens[1]);
    expect(inputTokens[1]).toBeGreaterThan(inputTokens[0]);
    expect(inputTokens[2]).toBeGreaterThan(inputTokens[1]);
    const items = await client.responses.inputItems.list(previous!);
    expect(items.data.map((i) => (i as OpenAI.Responses.ResponseInputMessageItem).content[0])).toEqual([{ type: 'input_text', text: 'And then, part 3?' }]);
  });

  test('the chain renders like the same conversation sent whole (equal greedy output)', async () => {
    const first = await client.responses.create({ input: 'Name a color.', max_output_tokens: 30, temperature: 0 });
    const second = await client.responses.create({ input: 'And another?', previous_response_id: first.id, max_output_tokens: 30, temperature: 0 });
    const whole = await client.responses.create({
      input: [{ role: 'user', content: 'Name a color.' }, ...first.output as OpenAI.Responses.ResponseInputItem[], { role: 'user', content: 'And another?' }],
      max_output_tokens: 30, temperature: 0, store: false,
    });
    expect(whole.output_text).toBe(second.output_text);
    expect(whole.usage!.input_tokens).toBe(second.usage!.input_tokens);
    expect((await fetch(`${srv.url}/v1/responses/${whole.id}`)).status).toBe(404); // store: false
  });

  test('an unknown previous_response_id is a 404 in the error shape', async () => {
    const r = await post('/v1/responses', { input: 'x', previous_response_id: 'resp_000000000000000000000000' });
    expect(r.status).toBe(404);
    expect((await r.json()).error).toMatchObject({ type: 'invalid_request_error', param: 'previous_response_id', code: 'response_not_found' });
  });
});

describe('function calls', () => {
  test("tool_choice required → a function_call with valid arguments → function_call_output → a final answer", async () => {
    for (let seed = 0; seed < 3; seed++) {
      const r = await client.responses.create({ input: 'What is the weather in Paris?', tools: TOOLS, tool_choice: 'required', max_output_tokens: 150, seed, temperature: 1 });
      const calls = r.output.filter((o) => o.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall[];
      expect(calls).toHaveLength(1);
      const call = calls[0];
      expect(call.id).toMatch(/^fc_/);
      expect(call.call_id).toMatch(/^call_/);
      const schema = TOOLS.find((t) => t.name === call.name)!.parameters!;
      expect(ajv.validate(schema, JSON.parse(call.arguments))).toBe(true);
      expect(r.status).toBe('completed');
      // the result goes back through previous_response_id; tool_choice none: the answer must be text
      const final = await client.responses.create({
        previous_response_id: r.id, input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"temperature": 21}' }],
        tools: TOOLS, tool_choice: 'none', max_output_tokens: 60, seed,
      });
      expect(final.output.some((o) => o.type === 'function_call')).toBe(false);
      expect(final.output_text.length).toBeGreaterThan(0);
      expect(final.previous_response_id).toBe(r.id);
      const items = await client.responses.inputItems.list(final.id);
      expect(items.data).toMatchObject([{ type: 'function_call_output', call_id: call.call_id, output: '{"temperature": 21}' }]);
    }
  });

  test('a named function, streamed: the arguments arrive as deltas and add up to valid JSON', async () => {
    const stream = client.responses.stream({ input: 'Add.', tools: TOOLS, tool_choice: { type: 'function', name: 'add' }, max_output_tokens: 150, seed: 9 });
    let deltas = '', n = 0, done = '';
    for await (const e of stream) {
      if (e.type === 'response.function_call_arguments.delta') { deltas += e.delta; n++; }
      if (e.type === 'response.function_call_arguments.done') done = e.arguments;
    }
    const final = await stream.finalResponse();
    const call = final.output.find((o) => o.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call.name).toBe('add');
    expect(n).toBeGreaterThan(1);
    expect(done).toBe(deltas);
    expect(call.arguments).toBe(deltas);
    expect(ajv.validate(ADD, JSON.parse(deltas))).toBe(true);
  });

  test('a stateless round trip: the items sent back whole, reasoning included', async () => {
    const r = await client.responses.create({ input: 'Weather?', tools: TOOLS, tool_choice: { type: 'function', name: 'get_weather' }, max_output_tokens: 150, seed: 4, store: false });
    const call = r.output.find((o) => o.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
    const final = await client.responses.create({
      input: [{ role: 'user', content: 'Weather?' }, ...r.output as OpenAI.Responses.ResponseInputItem[], { type: 'function_call_output', call_id: call.call_id, output: 'sunny' }],
      tools: TOOLS, tool_choice: 'none', max_output_tokens: 40, seed: 4,
    });
    expect(final.output_text.length).toBeGreaterThan(0);
  });
});

describe('text.format', () => {
  const SCHEMAS: Array<[string, Schema]> = [
    ['todo', obj({ title: { type: 'string' }, done: { type: 'boolean' } })],
    ['order', obj({ id: { type: 'integer' }, items: { type: 'array', items: obj({ sku: { type: 'string' }, qty: { type: 'integer' } }) } })],
    ['status', obj({ status: { enum: ['ok', 'warn', 'error'] }, note: { anyOf: [{ type: 'string' }, { type: 'null' }] } })],
  ];
  test('json_schema (strict) and json_object: the output parses and validates', async () => {
    for (const [i, [name, schema]] of SCHEMAS.entries()) {
      const r = await client.responses.create({ input: `Give me a ${name}.`, text: { format: { type: 'json_schema', name, schema, strict: true } }, max_output_tokens: 200, seed: i });
      expect(r.text!.format).toMatchObject({ type: 'json_schema', name });
      expect(ajv.validate(schema, JSON.parse(r.output_text))).toBe(true);
    }
    const o = await client.responses.create({ input: 'JSON please.', text: { format: { type: 'json_object' } }, max_output_tokens: 120, seed: 3 });
    expect(typeof JSON.parse(o.output_text)).toBe('object');
  });

  test('a schema that cannot be enforced is a 400 naming text.format.schema', async () => {
    const r = await post('/v1/responses', { input: 'x', text: { format: { type: 'json_schema', name: 'x', schema: { type: 'nope' } } } });
    expect(r.status).toBe(400);
    expect((await r.json()).error).toMatchObject({ param: 'text.format.schema', code: 'invalid_schema' });
  });
});

describe('stored responses', () => {
  test('GET, input_items (list shape, order, limit, after), DELETE, then 404s', async () => {
    const input = [
      { role: 'developer' as const, content: 'Be terse.' },
      { role: 'user' as const, content: [{ type: 'input_text' as const, text: 'one' }, { type: 'input_text' as const, text: 'two' }] },
      { type: 'message' as const, role: 'assistant' as const, content: [{ type: 'output_text' as const, text: 'ok', annotations: [] }] },
      { role: 'user' as const, content: 'three' },
    ];
    const r = await client.responses.create({ input: input as OpenAI.Responses.ResponseInput, max_output_tokens: 4 });
    expect((await client.responses.retrieve(r.id)).id).toBe(r.id);
    const desc = await (await fetch(`${srv.url}/v1/responses/${r.id}/input_items`)).json();
    expect(desc).toMatchObject({ object: 'list', has_more: false });
    expect(desc.data).toHaveLength(4);
    expect(desc.data[0].content).toEqual([{ type: 'input_text', text: 'three' }]); // desc: newest first
    expect(desc.first_id).toBe(desc.data[0].id);
    expect(desc.last_id).toBe(desc.data[3].id);
    expect(new Set(desc.data.map((i: { id: string }) => i.id)).size).toBe(4);
    const page = await (await fetch(`${srv.url}/v1/responses/${r.id}/input_items?order=asc&limit=2`)).json();
    expect(page.data.map((i: { role: string }) => i.role)).toEqual(['developer', 'user']);
    expect(page.has_more).toBe(true);
    const next = await (await fetch(`${srv.url}/v1/responses/${r.id}/input_items?order=asc&limit=2&after=${page.last_id}`)).json();
    expect(next.data.map((i: { role: string }) => i.role)).toEqual(['assistant', 'user']);
    expect(next.has_more).toBe(false);
    // the SDK's paginated list reads the same shape
    const all: string[] = [];
    for await (const item of client.responses.inputItems.list(r.id, { order: 'asc', limit: 1 })) all.push(item.id!);
    expect(all).toEqual([...desc.data].reverse().map((i: { id: string }) => i.id));

    const del = await fetch(`${srv.url}/v1/responses/${r.id}`, { method: 'DELETE' });
    expect(await del.json()).toEqual({ id: r.id, object: 'response.deleted', deleted: true });
    for (const [method, path] of [['GET', ''], ['GET', '/input_items'], ['DELETE', '']]) {
      const g = await fetch(`${srv.url}/v1/responses/${r.id}${path}`, { method });
      expect(g.status).toBe(404);
      expect((await g.json()).error).toMatchObject({ type: 'invalid_request_error', code: 'response_not_found' });
    }
    expect(await client.responses.retrieve(r.id).catch((e) => e)).toBeInstanceOf(OpenAI.NotFoundError);
    expect((await fetch(`${srv.url}/v1/responses/../etc`)).status).toBe(404);
  });

  test('bad requests: 400 naming the field, never a 500', async () => {
    const cases: Array<[object, string]> = [
      [{}, 'input'],
      [{ input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'x' }] }] }, 'input[0].content[0].type'],
      [{ input: [{ type: 'computer_call' }] }, 'input[0].type'],
      [{ input: [{ type: 'function_call', call_id: 'c', name: 'bad name', arguments: '{}' }] }, 'input[0].name'],
      [{ input: [{ type: 'item_reference', id: 'msg_nope' }] }, 'input[0].id'],
      [{ input: 'x', tool_choice: 'required' }, 'tool_choice'],
      [{ input: 'x', tools: TOOLS, tool_choice: { type: 'function', name: 'nope' } }, 'tool_choice'],
      [{ input: 'x', tools: [{ type: 'function', name: 'a b' }] }, 'tools[0].name'],
      [{ input: 'x', max_output_tokens: 0 }, 'max_output_tokens'],
      [{ input: 'x', background: true }, 'background'],
      [{ input: 'x', reasoning: { effort: 'extreme' } }, 'reasoning.effort'],
    ];
    for (const [body, param] of cases) {
      const r = await post('/v1/responses', body);
      expect([r.status, (await r.json()).error.param]).toEqual([400, param]);
    }
    const model = await post('/v1/responses', { input: 'x', model: 'gpt-9' });
    expect(model.status).toBe(404);
    expect((await model.json()).error.code).toBe('model_not_found');
  });

  test('an item_reference to a stored output item stands for that item', async () => {
    const r = await client.responses.create({ input: 'Hi.', max_output_tokens: 20, temperature: 0 });
    const refs = r.output.map((o) => ({ type: 'item_reference' as const, id: o.id! }));
    const byRef = await client.responses.create({ input: [{ role: 'user', content: 'Hi.' }, ...refs, { role: 'user', content: 'More.' }], max_output_tokens: 20, temperature: 0, store: false });
    const byValue = await client.responses.create({ input: [{ role: 'user', content: 'Hi.' }, ...r.output as OpenAI.Responses.ResponseInputItem[], { role: 'user', content: 'More.' }], max_output_tokens: 20, temperature: 0, store: false });
    expect(byRef.output_text).toBe(byValue.output_text);
    expect(byRef.usage!.input_tokens).toBe(byValue.usage!.input_tokens);
  });
});
