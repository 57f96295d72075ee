// Limits that say why (src/server/limits.ts, guard.ts, methods.ts): each limit refused with its
// status in the OpenAI error shape naming the limit and the flag that raises it; 405 + Allow; what
// the runtime answers before the app can (documented in the README); a prompt that cannot fit the
// context refused from its bytes before tokenizing; API keys (empty ones refuse to start; shorter,
// prefix and longer keys are refused; the Bearer scheme is case-insensitive, RFC 7235 §2.1).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { parseArgs, UsageError } from '../src/cli/args.ts';
import { serveOptions } from '../src/cli/serve.ts';
import { DEFAULT_LIMITS } from '../src/server/limits.ts';
import type { RunningServer } from '../src/server/start.ts';
import { startTestServer } from './helpers/server.ts';

const KEY = 'sk-limits-0123456789';
const auth = { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' };
const LIMITS = { maxPromptBytes: 32768, maxMessages: 8, maxTools: 2, maxSchemaDepth: 6, maxSchemaBytes: 2048, maxHeaderBytes: 2048, maxJsonDepth: 16 };
let srv: RunningServer;
beforeAll(async () => { srv = await startTestServer({ apiKey: KEY, engine: { context: 1024 }, parallel: 1, limits: LIMITS }); });
afterAll(() => srv?.stop());

async function post(path: string, body: unknown, headers: Record<string, string> = auth) {
  const res = await fetch(`${srv.url}${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: JSON.parse(text) };
}
const chat = (extra: object) => ({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 1, ...extra });
const nest = (depth: number, leaf: unknown, wrap: (inner: unknown) => unknown) => { let v = leaf; for (let i = 0; i < depth; i++) v = wrap(v); return v; };
const objectChain = (depth: number) => nest(depth, { type: 'string' }, (inner) => ({ type: 'object', properties: { a: inner } }));
const oneOfChain = (depth: number) => nest(depth, { type: 'string' }, (inner) => ({ oneOf: [inner, { type: 'null' }] }));
const tool = (parameters: unknown, name = 'f') => ({ type: 'function', function: { name, parameters } });

function expectRefusal(r: { status: number; json: { error: Record<string, unknown> } }, status: number, code: string, flag: string | null, param: string | null = null) {
  expect(r.status).toBe(status);
  expect(Object.keys(r.json.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(r.json.error).toMatchObject({ type: 'invalid_request_error', code, param });
  if (flag) expect(r.json.error.message).toContain(`(${flag})`);
}

describe('each limit: its status, its code, the flag that raises it', () => {
  test('JSON nesting past --max-json-depth is refused before parsing, whatever the route', async () => {
    const deep = `${'['.repeat(17)}${']'.repeat(17)}`;
    expectRefusal(await post('/v1/completions', `{"prompt": ${deep}}`), 400, 'json_too_deep', '--max-json-depth');
    expectRefusal(await post('/v1/chat/completions', chat({ x: nest(20, 1, (v) => [v]) })), 400, 'json_too_deep', '--max-json-depth');
    // Brackets inside strings are text, not nesting.
    expect((await post('/v1/chat/completions', chat({ messages: [{ role: 'user', content: '[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{' }] }))).status).toBe(200);
  });

  test('a tool schema nested 10,000 deep, plain or oneOf, is a 400 at once', async () => {
    for (const schema of [objectChain(10_000), oneOfChain(10_000)]) {
      // JSON.stringify itself recurses: build the text by hand.
      const text = JSON.stringify(chat({ tools: [tool('SCHEMA')] })).replace('"SCHEMA"', JSON.stringify(schema));
      expectRefusal(await post('/v1/chat/completions', text), 400, 'json_too_deep', '--max-json-depth');
    }
  });

  test('schemas: depth past --max-schema-depth, size past --max-schema-bytes (tools and response_format)', async () => {
    expectRefusal(await post('/v1/chat/completions', chat({ tools: [tool(objectChain(4))] })), 400, 'schema_too_deep', '--max-schema-depth', 'tools[0].function.parameters');
    expectRefusal(await post('/v1/chat/completions', chat({ tools: [tool({ type: 'object' }), tool(oneOfChain(3), 'g')] })), 400, 'schema_too_deep', '--max-schema-depth', 'tools[1].function.parameters');
    const rf = { type: 'json_schema', json_schema: { name: 'r', schema: objectChain(4) } };
    expectRefusal(await post('/v1/chat/completions', chat({ response_format: rf })), 400, 'schema_too_deep', '--max-schema-depth', 'response_format.json_schema.schema');
    const wide = { type: 'object', properties: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`p${i}`, { type: 'string' }])) };
    expectRefusal(await post('/v1/chat/completions', chat({ tools: [tool(wide)] })), 400, 'schema_too_large', '--max-schema-bytes', 'tools[0].function.parameters');
    expect((await post('/v1/chat/completions', chat({ tools: [tool(objectChain(2))] }))).status).toBe(200); // depth 5: within
  });

  test('counts: messages past --max-messages, tools past --max-tools', async () => {
    const messages = Array.from({ length: 9 }, () => ({ role: 'user', content: 'x' }));
    expectRefusal(await post('/v1/chat/completions', chat({ messages })), 400, 'too_many_messages', '--max-messages', 'messages');
    expectRefusal(await post('/v1/chat/completions', chat({ tools: [tool(undefined, 'a'), tool(undefined, 'b'), tool(undefined, 'c')] })), 400, 'too_many_tools', '--max-tools', 'tools');
  });

  test('text past --max-prompt-bytes is 413, counted in UTF-8 bytes over every string', async () => {
    expectRefusal(await post('/v1/chat/completions', chat({ messages: [{ role: 'user', content: 'é'.repeat(16385) }] })), 413, 'prompt_too_large', '--max-prompt-bytes');
    expectRefusal(await post('/v1/completions', { prompt: 'x'.repeat(32769), max_tokens: 1 }), 413, 'prompt_too_large', '--max-prompt-bytes');
  });

  test('headers past --max-header-bytes are 431 in the error shape; past 16 KiB the runtime answers first, with no body', async () => {
    const r = await fetch(`${srv.url}/health`, { headers: { 'X-Pad': 'x'.repeat(3000) } });
    expect(r.status).toBe(431);
    expectRefusal({ status: r.status, json: await r.json() }, 431, 'headers_too_large', '--max-header-bytes');
    const bun = await fetch(`${srv.url}/health`, { headers: { 'X-Pad': 'x'.repeat(17 << 10) } }); // README: Bun's own limit
    expect(bun.status).toBe(431);
    expect(await bun.text()).toBe('');
  });

  test('a prompt whose bytes cannot fit the context is refused from its length alone (before tokenizing)', async () => {
    const r = await post('/v1/chat/completions', chat({ messages: [{ role: 'user', content: 'a'.repeat(20000) }] }));
    expectRefusal(r, 400, 'context_length_exceeded', null, 'messages');
    expect(r.json.error.message).toMatch(/^the prompt has at least \d+ tokens \(20000 bytes of text, at most \d+ bytes a token\); the context is 1024/);
    const c = await post('/v1/completions', { prompt: 'b'.repeat(20000), max_tokens: 1 });
    expectRefusal(c, 400, 'context_length_exceeded', null, 'prompt');
    expect(c.json.error.message).toContain('at least');
  });

  test('a prompt of more token ids than the context is refused before each id is checked', async () => {
    for (const prompt of [Array(300_000).fill(7), [Array(300_000).fill(7)]]) {
      const r = await post('/v1/completions', { prompt, max_tokens: 1 });
      expectRefusal(r, 400, 'context_length_exceeded', null, 'prompt');
      expect(r.json.error.message).toBe('the prompt has 300000 tokens; the context is 1024 (at most 1023 prompt tokens)');
    }
  });

  test('defaults are the ones the README lists', () => {
    expect(DEFAULT_LIMITS).toEqual({
      maxBodyBytes: 8 << 20, maxPromptBytes: 4 << 20, maxJsonDepth: 64, maxMessages: 2048, maxTools: 128, maxSchemaDepth: 32,
      maxSchemaBytes: 256 << 10, maxHeaderBytes: 8 << 10,
    });
  });
});

describe('methods', () => {
  test('a known path with another method: 405 with Allow, in the error shape; OPTIONS: 204 with Allow', async () => {
    const cases: Array<[string, string, string]> = [
      ['PUT', '/v1/chat/completions', 'POST, OPTIONS'], ['GET', '/v1/completions', 'POST, OPTIONS'], ['DELETE', '/health', 'GET, HEAD, OPTIONS'],
      ['PATCH', '/v1/models/anything', 'GET, HEAD, OPTIONS'], ['POST', '/metrics', 'GET, HEAD, OPTIONS'],
    ];
    for (const [method, path, allow] of cases) {
      const r = await fetch(`${srv.url}${path}`, { method, headers: auth });
      expect(r.status).toBe(405);
      expect(r.headers.get('allow')).toBe(allow);
      expectRefusal({ status: r.status, json: await r.json() }, 405, 'method_not_allowed', null);
    }
    const o = await fetch(`${srv.url}/v1/chat/completions`, { method: 'OPTIONS', headers: auth });
    expect(o.status).toBe(204);
    expect(o.headers.get('allow')).toBe('POST, OPTIONS');
    const unknown = await fetch(`${srv.url}/v2/nothing`, { method: 'PUT', headers: auth });
    expect(unknown.status).toBe(404);
  });

  test('a method the runtime does not know (FOO) gets the connection closed with nothing written (README)', async () => {
    const reply = await rawExchange(Number(new URL(srv.url).port), 'FOO /v1/models HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(reply).toBe('');
  });
});

/** Everything the server writes back to `request` before it closes the connection. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    Bun.connect({
      hostname: '127.0.0.1', port,
      socket: { open(s) { s.write(request); }, data(_s, d) { out += new TextDecoder().decode(d); }, close() { resolve(out); }, error(_s, e) { reject(e); } },
    }).catch(reject);
  });
}

describe('API keys', () => {
  const withAuth = (value: string) => fetch(`${srv.url}/v1/models`, { headers: { Authorization: value } }).then((r) => r.status);

  test('only the exact key passes: shorter, prefix, longer and other-case keys are 401', async () => {
    for (const wrong of ['sk-limits', KEY.slice(0, -1), `${KEY}0`, KEY.toUpperCase(), '', ' ']) expect(await withAuth(`Bearer ${wrong}`)).toBe(401);
    expect(await withAuth(`Bearer ${KEY}`)).toBe(200);
  });

  test('the scheme is case-insensitive (RFC 7235 §2.1); other schemes and a bare scheme are 401', async () => {
    for (const ok of [`bearer ${KEY}`, `BEARER ${KEY}`, `Bearer  ${KEY}`]) expect(await withAuth(ok)).toBe(200);
    for (const bad of [`Basic ${KEY}`, 'Bearer', `Token ${KEY}`, KEY]) expect(await withAuth(bad)).toBe(401);
  });

  const opts = (argv: string[], env: Record<string, string> = {}) => serveOptions(parseArgs(argv), env);
  test('an empty key refuses to start, however it came to be empty', () => {
    const empty: Array<[string[], Record<string, string>]> = [
      [['--api-key='], {}], [['--api-key'], {}], [['--api-key', '--port', '1'], {}], [['--api-key', ''], {}], [[], { OSS_EDGE_API_KEY: '' }],
      [['--api-key='], { OSS_EDGE_API_KEY: 'k' }], // an empty flag does not fall back to the environment
    ];
    for (const [argv, env] of empty) expect(() => opts(argv, env)).toThrow(/is empty/);
    expect(() => opts(['--api-key', 'has space'])).toThrow(UsageError);
    expect(opts(['--api-key', 'k1'], { OSS_EDGE_API_KEY: 'k2' }).apiKey).toBe('k1');
    expect(opts([]).apiKey).toBeUndefined();
  });

  test('`serve --api-key=` exits 2 with the reason, without listening', async () => {
    for (const argv of [['--api-key='], ['--api-key', '--port', '0']]) {
      const p = Bun.spawn([process.execPath, 'src/cli.ts', 'serve', ...argv], { cwd: join(import.meta.dir, '..'), stdout: 'pipe', stderr: 'pipe' });
      expect(await p.exited).toBe(2);
      const err = await new Response(p.stderr).text();
      expect(err).toContain('--api-key is empty');
      expect(err).not.toContain('listening');
    }
  });

  test('limit flags: parsed, checked against their minimum', () => {
    expect(opts(['--max-json-depth', '10', '--max-tools', '3']).limits).toMatchObject({ maxJsonDepth: 10, maxTools: 3, maxMessages: 2048 });
    expect(() => opts(['--max-json-depth', '2'])).toThrow(/at least 8/);
    expect(() => opts(['--max-header-bytes', 'lots'])).toThrow(UsageError);
  });
});
