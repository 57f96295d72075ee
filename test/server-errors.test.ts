// Every refusal in OpenAI's error shape: 400 for each badly typed field, unknown model, prompt over
// the context, bad logit_bias ids; 401 (key), 413 (body size), 503 (loading), 404 (route); CORS
// preflight; and a fuzz of malformed bodies that must all get a 4xx without hurting the server.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { seededRandom } from '../src/generate/rng.ts';
import { createApp } from '../src/server/app.ts';
import { ModelHost } from '../src/server/host.ts';
import { bunRuntime } from '../src/server/runtime.bun.ts';
import type { Listener } from '../src/server/runtime.ts';
import type { RunningServer } from '../src/server/start.ts';
import { startTestServer } from './helpers/server.ts';

const KEY = 'sk-errors';
const auth = { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' };
let srv: RunningServer;
beforeAll(async () => { srv = await startTestServer({ apiKey: KEY, maxBodyBytes: 64 << 10, corsOrigin: 'http://app.example', engine: { context: 256 }, parallel: 1 }); });
afterAll(() => srv?.stop());

async function call(path: string, body: unknown, headers: Record<string, string> = auth) {
  const res = await fetch(`${srv.url}${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: safeJson(text) };
}
const safeJson = (t: string) => { try { return JSON.parse(t); } catch { return null; } };
const chat = (extra: object) => ({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 2, ...extra });

function expectOpenAiError(r: { status: number; json: { error?: Record<string, unknown> } | null; text: string }, status: number) {
  expect(r.status).toBe(status);
  expect(r.json?.error).toBeDefined();
  expect(Object.keys(r.json!.error!).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(typeof r.json!.error!.message).toBe('string');
  expect(r.text).not.toContain('    at '); // never a stack trace
}

describe('400: every field is type-checked', () => {
  const chatCases: [string, object][] = [
    ['messages', { messages: 'hi' }], ['messages', { messages: [] }], ['messages[0].role', { messages: [{ role: 'robot', content: 'x' }] }],
    ['messages[0].content', { messages: [{ role: 'user', content: 5 }] }], ['temperature', { temperature: 'hot' }], ['temperature', { temperature: 2.5 }],
    ['top_p', { top_p: 1.5 }], ['top_k', { top_k: -1 }], ['min_p', { min_p: 2 }], ['max_tokens', { max_tokens: 0 }], ['max_tokens', { max_tokens: 1.5 }],
    ['max_completion_tokens', { max_completion_tokens: 'many' }], ['seed', { seed: 'x' }], ['stop', { stop: 5 }], ['presence_penalty', { presence_penalty: 3 }],
    ['frequency_penalty', { frequency_penalty: -2.5 }], ['logit_bias.x', { logit_bias: { x: 1 } }], ['logit_bias.5', { logit_bias: { 5: 500 } }],
    ['logprobs', { logprobs: 1 }], ['top_logprobs', { logprobs: true, top_logprobs: 21 }], ['top_logprobs', { top_logprobs: 2 }], ['stream', { stream: 'yes' }],
    ['stream_options.include_usage', { stream: true, stream_options: { include_usage: 1 } }], ['n', { n: 2 }], ['reasoning_effort', { reasoning_effort: 'max' }],
    ['tools[0].function.name', { tools: [{ type: 'function', function: { name: 'bad name' } }] }], ['tool_choice', { tool_choice: 'always' }], ['model', { model: 7 }],
  ];
  for (const [param, extra] of chatCases) {
    test(`chat ${JSON.stringify(extra).slice(0, 70)} → param ${param}`, async () => {
      const r = await call('/v1/chat/completions', chat(extra));
      expectOpenAiError(r, 400);
      expect(r.json.error.param).toBe(param);
      expect(r.json.error.type).toBe('invalid_request_error');
    });
  }
  const completionCases: [string, object][] = [
    ['prompt', { prompt: 5 }], ['prompt', { prompt: ['a', 'b'] }], ['prompt[1]', { prompt: [1, -2] }], ['prompt', { prompt: '' }],
    ['prompt[0]', { prompt: [600] }], ['logprobs', { logprobs: 9 }], ['echo', { echo: 'y' }], ['suffix', { suffix: 'end' }], ['best_of', { best_of: 3 }],
  ];
  for (const [param, extra] of completionCases) {
    test(`completions ${JSON.stringify(extra)} → param ${param}`, async () => {
      const r = await call('/v1/completions', { prompt: 'x', max_tokens: 2, ...extra });
      expectOpenAiError(r, 400);
      expect(r.json.error.param).toBe(param);
    });
  }

  test('unknown model (404, as OpenAI), prompt longer than the context, logit_bias id outside the vocabulary', async () => {
    const m = await call('/v1/chat/completions', chat({ model: 'gpt-9' }));
    expectOpenAiError(m, 404);
    expect(m.json.error).toMatchObject({ code: 'model_not_found', param: 'model' });
    const long = await call('/v1/completions', { prompt: Array(300).fill(65), max_tokens: 1 });
    expectOpenAiError(long, 400);
    expect(long.json.error).toMatchObject({ code: 'context_length_exceeded', param: 'prompt' });
    const longChat = await call('/v1/chat/completions', chat({ messages: [{ role: 'user', content: 'word '.repeat(400) }] }));
    expect(longChat.json.error).toMatchObject({ code: 'context_length_exceeded', param: 'messages' });
    const bias = await call('/v1/chat/completions', chat({ logit_bias: { 512: 5 } }));
    expectOpenAiError(bias, 400);
    expect(bias.json.error).toMatchObject({ code: 'invalid_logit_bias', param: 'logit_bias' });
  });

  test('a tool message answering no earlier call names the problem', async () => {
    const r = await call('/v1/chat/completions', chat({ messages: [{ role: 'user', content: 'x' }, { role: 'tool', tool_call_id: 'call_x', content: '1' }] }));
    expectOpenAiError(r, 400);
    expect(r.json.error.message).toContain('tool_call_id');
  });
});

describe('401, 413, 404, CORS', () => {
  test('401 without a key or with a wrong one; /health stays open', async () => {
    for (const headers of [{ 'Content-Type': 'application/json' }, { ...auth, Authorization: 'Bearer sk-errorz' }, { ...auth, Authorization: 'Basic x' }]) {
      const r = await call('/v1/chat/completions', chat({}), headers);
      expectOpenAiError(r, 401);
      expect(r.json.error.code).toBe('invalid_api_key');
    }
    expect((await fetch(`${srv.url}/v1/models`)).status).toBe(401);
    expect((await fetch(`${srv.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${srv.url}/health`)).status).toBe(200);
  });

  test('413 for a body over the limit, with or without Content-Length', async () => {
    const big = JSON.stringify(chat({ messages: [{ role: 'user', content: 'x'.repeat(70 << 10) }] }));
    const r = await call('/v1/chat/completions', big);
    expectOpenAiError(r, 413);
    const chunked = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode(big)); c.close(); } });
    const s = await fetch(`${srv.url}/v1/chat/completions`, { method: 'POST', headers: auth, body: chunked });
    expect(s.status).toBe(413);
  });

  test('404 in the error shape for an unknown route', async () => {
    const r = await fetch(`${srv.url}/v1/embeddings`, { method: 'POST', headers: auth, body: '{}' });
    expect(r.status).toBe(404);
    expect((await r.json()).error.type).toBe('not_found_error');
  });

  test('CORS preflight for the allowed origin', async () => {
    const r = await fetch(`${srv.url}/v1/chat/completions`, { method: 'OPTIONS', headers: { Origin: 'http://app.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' } });
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-origin')).toBe('http://app.example');
  });
});

describe('503 while loading', () => {
  let listener: Listener, host: ModelHost;
  beforeAll(async () => {
    host = new ModelHost({ parallel: 1, maxQueue: 0 }); // never loaded
    host.progress = { bytes: 250, totalBytes: 1000, tensors: 3, totalTensors: 12, name: 'embed' };
    listener = await bunRuntime.listen(createApp({ host, log: () => {} }).fetch, { hostname: '127.0.0.1', port: 0 });
  });
  afterAll(() => listener?.stop());

  test('/health reports the progress; the API answers 503 with Retry-After', async () => {
    const base = `http://127.0.0.1:${listener.port}`;
    const h = await fetch(`${base}/health`);
    expect(h.status).toBe(503);
    expect(await h.json()).toMatchObject({ status: 'loading', progress: { bytes: 250, total_bytes: 1000, tensors: 3, total_tensors: 12, fraction: 0.25 }, error: { code: 'model_loading' } });
    const r = await fetch(`${base}/v1/chat/completions`, { method: 'POST', body: JSON.stringify(chat({})) });
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('2');
    expect((await r.json()).error.message).toContain('25%');
    expect((await fetch(`${base}/v1/models`)).status).toBe(503);
  });
});

test('fuzz: 300 malformed bodies all get a 4xx in the error shape, and the server stays up', async () => {
  const rnd = seededRandom(4242);
  const pick = <T>(a: T[]) => a[Math.floor(rnd() * a.length)];
  const valid = JSON.stringify(chat({ temperature: 0.5, stop: ['x'], tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }] }));
  const junk = () => pick<unknown>([null, true, 0, -1, 1e308, 'x', [], {}, [[]], { a: { b: [1, null] } }, '\u0000', 'ß\ud800', Array(50).fill(7)]);
  const bodies: string[] = [];
  for (let i = 0; i < 300; i++) {
    const kind = i % 5;
    if (kind === 0) bodies.push(valid.slice(0, Math.floor(rnd() * (valid.length - 1)))); // truncated
    else if (kind === 1) { const b = valid.split(''); for (let k = 0; k < 3; k++) b[Math.floor(rnd() * b.length)] = pick(['{', '}', '"', ',', ':', '\\', 'ÿ', ' ']); bodies.push(b.join('')); }
    else if (kind === 2) bodies.push(JSON.stringify(junk()));
    else if (kind === 3) { const o = JSON.parse(valid); o[pick(Object.keys(o))] = junk(); bodies.push(JSON.stringify(o)); }
    else { const o = JSON.parse(valid); o.messages[0][pick(['role', 'content'])] = junk(); bodies.push(JSON.stringify(o)); }
  }
  const statuses = new Map<number, number>();
  for (const [i, body] of bodies.entries()) {
    const r = await call(i % 2 ? '/v1/chat/completions' : '/v1/completions', body);
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    if (r.status >= 200 && r.status < 300) continue; // a mutation can leave a valid body
    expectOpenAiError(r, r.status);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
  }
  expect(statuses.get(400)).toBeGreaterThan(200);
  expect((await fetch(`${srv.url}/health`)).status).toBe(200);
});
