// The access log (serve --log-format): one line per request with method, path, status, duration
// and, when a generation happened, tokens in and out; a stream is logged when it ends.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startService } from '../src/boot/service.ts';
import { loadCheckpoint } from '../src/model/checkpoint.ts';
import { bunRuntime } from '../src/server/runtime.bun.ts';
import type { RunningServer } from '../src/server/start.ts';
import { tokenizerForCheckpoint } from '../src/tokenizer/index.ts';
import { startScriptedServer, TINY } from './helpers/server.ts';

const TEXT = /^(\d{4}-\d\d-\d\dT[\d:.]+Z) (\S+) (\S+) (\d{3}) (\d+)ms(?: in=(\d+) out=(\d+))?( cancelled)?$/;
let srv: RunningServer, lines: string[] = [];

beforeAll(async () => {
  srv = await startService({ model: TINY, host: '127.0.0.1', port: 0, parallel: 2, maxQueue: 8, engine: { threads: 1, backend: 'cpu', context: 1024 } }, bunRuntime, { log: (l) => lines.push(l) });
  await srv.ready;
});
afterAll(() => srv?.stop());

/** The access lines (the startup lines are not) for `path`. */
const access = (path: string) => lines.map((l) => TEXT.exec(l)).filter((m): m is RegExpExecArray => m !== null && m[3] === path);
const chat = (stream: boolean, model = 'tiny-a', sampling: object = { max_tokens: 6, temperature: 0 }) => fetch(`${srv.url}/v1/chat/completions`, {
  method: 'POST', headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ model, stream, ...sampling, messages: [{ role: 'user', content: 'Hi' }] }),
});

describe('access log, text (the default)', () => {
  test('a plain request: method, path, status, ms; no tokens', async () => {
    lines = [];
    expect((await fetch(`${srv.url}/v1/models`)).status).toBe(200);
    const [m] = access('/v1/models');
    expect(m).toBeDefined();
    expect([m[2], m[4], m[6]]).toEqual(['GET', '200', undefined]);
  });

  test('a generation: tokens in and out = its usage', async () => {
    lines = [];
    const r = (await (await chat(false)).json()) as { usage: { prompt_tokens: number; completion_tokens: number } };
    const [m] = access('/v1/chat/completions');
    expect([m[2], m[4], Number(m[6]), Number(m[7])]).toEqual(['POST', '200', r.usage.prompt_tokens, r.usage.completion_tokens]);
  });

  test('a stream is logged when it ends, with its tokens', async () => {
    lines = [];
    // Long enough that the first chunk reaches us while it is still generating: six tokens of
    // the tiny model took 4 ms in CI and arrived in the first read, logged already.
    const res = await chat(true, 'tiny-a', { max_tokens: 400, temperature: 1, seed: 1 });
    const reader = res.body!.getReader();
    await reader.read(); // the first chunk is out, the stream goes on
    expect(access('/v1/chat/completions')).toEqual([]);
    let text = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += new TextDecoder().decode(r.value);
    await Bun.sleep(20);
    const [m] = access('/v1/chat/completions');
    const usage = text.split('\n').filter((l) => l.startsWith('data: {')).map((l) => JSON.parse(l.slice(6))).find((c) => c.usage)!.usage;
    expect([m[4], Number(m[6]), Number(m[7])]).toEqual(['200', usage.prompt_tokens, usage.completion_tokens]);
    expect(usage.completion_tokens).toBeGreaterThan(50);
    // Ollama's NDJSON stream too
    lines = [];
    await (await fetch(`${srv.url}/api/chat`, { method: 'POST', body: JSON.stringify({ model: 'tiny-a', messages: [{ role: 'user', content: 'Hi' }], options: { num_predict: 3 } }) })).text();
    await Bun.sleep(20);
    expect(Number(access('/api/chat')[0][7])).toBe(3);
  });

  test('a client that leaves mid-stream: one line, marked cancelled', async () => {
    lines = [];
    const abort = new AbortController();
    const res = await fetch(`${srv.url}/v1/completions`, {
      method: 'POST', signal: abort.signal, headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'tiny-a', prompt: 'Once', stream: true, max_tokens: 900, temperature: 1, seed: 1 }),
    });
    await res.body!.getReader().read();
    abort.abort();
    for (let i = 0; i < 100 && !access('/v1/completions').length; i++) await Bun.sleep(20);
    await Bun.sleep(50);
    const got = access('/v1/completions');
    expect(got.map((m) => [m[4], m[8]])).toEqual([['200', ' cancelled']]);
  });

  test('errors: their status, no tokens', async () => {
    lines = [];
    expect((await chat(false, 'no-such-model')).status).toBe(404);
    expect((await fetch(`${srv.url}/v1/chat/completions`, { method: 'POST', body: '{oops' })).status).toBe(400);
    expect((await fetch(`${srv.url}/nowhere?secret=1`)).status).toBe(404);
    expect(access('/v1/chat/completions').map((m) => [m[4], m[6]])).toEqual([['404', undefined], ['400', undefined]]);
    expect(access('/nowhere').map((m) => m[4])).toEqual(['404']); // the query is never logged
    expect(lines.join('\n')).not.toContain('secret');
  });
});

describe('access log, json', () => {
  test('one JSON object a line, with the same fields', async () => {
    const ckpt = loadCheckpoint(TINY);
    const tok = tokenizerForCheckpoint(ckpt);
    ckpt.close();
    const got: string[] = [];
    const s = await startScriptedServer(tok, () => '<|channel|>final<|message|>Hello there.<|return|>', { accessLog: 'json', log: (l) => got.push(l) });
    try {
      await (await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }], stream: true }) })).text();
      await (await fetch(`${s.url}/api/tags`)).text();
      await Bun.sleep(20);
      const entries = got.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(entries.map((e) => [e.method, e.path, e.status])).toEqual([['POST', '/v1/chat/completions', 200], ['GET', '/api/tags', 200]]);
      expect(entries[0].tokens_out).toBeGreaterThan(0);
      expect(typeof entries[0].tokens_in).toBe('number');
      expect(typeof entries[0].ms).toBe('number');
      expect(entries[1]).not.toHaveProperty('tokens_in');
    } finally {
      await s.stop();
    }
  });

  test('--log-format none writes nothing; a bad value is a usage error', async () => {
    const got: string[] = [];
    const ckpt = loadCheckpoint(TINY);
    const tok = tokenizerForCheckpoint(ckpt);
    ckpt.close();
    const s = await startScriptedServer(tok, () => '', { accessLog: 'none', log: (l) => got.push(l) });
    await (await fetch(`${s.url}/health`)).text();
    await s.stop();
    expect(got).toEqual([]);
    const { serveOptions } = await import('../src/cli/serve.ts');
    const { parseArgs } = await import('../src/cli/args.ts');
    expect(serveOptions(parseArgs([]), {}).logFormat).toBe('text');
    expect(serveOptions(parseArgs(['--log-format', 'json']), {}).logFormat).toBe('json');
    expect(() => serveOptions(parseArgs(['--log-format', 'xml']), {})).toThrow(/--log-format must be text, json, none/);
  });
});
