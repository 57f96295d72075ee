// The msgpack framing (Accept: application/x-msgpack) beyond /v1/completions: a streamed chat is the
// same chunk objects as its SSE stream (golden tiny-a, greedy), and a generation that fails
// mid-stream ends both framings with the same last {"error": …} chunk (a scripted engine that
// fails on its third forward pass), decoded by msgpackr as a client would.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { unpackMultiple } from 'msgpackr';
import type { RunningServer } from '../src/server/start.ts';
import { startTestServer } from './helpers/server.ts';
import { startGatedServer, type GatedServer } from './helpers/server-gated.ts';

let srv: RunningServer, failing: GatedServer;
beforeAll(async () => {
  [srv, failing] = await Promise.all([startTestServer({ parallel: 2 }), startGatedServer({ parallel: 1, maxQueue: 4, failAt: (pass) => pass === 2 })]);
  failing.gate.open();
});
afterAll(async () => { await Promise.all([srv?.stop(), failing?.stop()]); });

type Obj = Record<string, unknown>;

/** The same request as SSE and as msgpack: the decoded chunk objects of each. */
async function bothFramings(base: string, path: string, body: object): Promise<{ sse: Obj[]; mp: Obj[]; sseText: string; mpType: string | null }> {
  const ask = (accept?: string) => fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(accept ? { Accept: accept } : {}) }, body: JSON.stringify(body) });
  const sseText = await (await ask()).text();
  const sse = sseText.split('\n\n').filter((f) => f.startsWith('data: {')).map((f) => JSON.parse(f.slice(6)));
  const res = await ask('application/x-msgpack');
  const mp = unpackMultiple(new Uint8Array(await res.arrayBuffer())) as Obj[];
  return { sse, mp, sseText, mpType: res.headers.get('content-type') };
}

/** Per-response fields blanked (ids, timestamps, and the cached prompt tokens: the second run reuses the first's); everything else must match. */
const strip = (c: Obj) => ('id' in c ? { ...c, id: '', created: 0, ...(c.usage ? { usage: { ...c.usage as Obj, prompt_tokens_details: null } } : {}) } : c);

describe('msgpack', () => {
  test('chat, streamed: the same chunk objects as SSE (role, content, finish, usage)', async () => {
    const body = { messages: [{ role: 'user', content: 'pack me' }], max_tokens: 12, temperature: 0, stream: true, stream_options: { include_usage: true } };
    const { sse, mp, sseText, mpType } = await bothFramings(srv.url, '/v1/chat/completions', body);
    expect(mpType).toBe('application/x-msgpack');
    expect(sseText.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(sse.length).toBeGreaterThanOrEqual(4); // role, some text, finish, usage
    expect(mp.map(strip)).toEqual(sse.map(strip));
    expect(mp[0]).toMatchObject({ object: 'chat.completion.chunk', choices: [{ delta: { role: 'assistant' } }] });
    expect(new Set(mp.map((c) => c.id)).size).toBe(1);
    const usage = mp.at(-1)!.usage as { prompt_tokens: number; prompt_tokens_details: { cached_tokens: number } };
    expect(mp.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 12 } });
    expect(usage.prompt_tokens_details.cached_tokens).toBe(usage.prompt_tokens - 1); // the SSE run's prompt
  });

  // Before the failing pass: completions streamed two tokens of text; chat only its role chunk (the
  // scripted reply has no harmony header, so the parser still holds its text as a possible header).
  for (const [path, body, before] of [
    ['/v1/chat/completions', { messages: [{ role: 'user', content: 'fail' }], max_tokens: 50, stream: true }, [{ role: 'assistant', content: '' }]],
    ['/v1/completions', { prompt: [10, 11], max_tokens: 50, stream: true }, ['a', 'a']],
  ] as const) {
    test(`${path}: an engine error mid-stream ends both framings with the same error chunk`, async () => {
      const { sse, mp, sseText } = await bothFramings(failing.url, path, body);
      expect(sseText.endsWith('data: [DONE]\n\n')).toBe(true);
      expect(mp.map(strip)).toEqual(sse.map(strip));
      const error = { error: { message: 'generation failed: scripted engine failure at pass 2 of this request', type: 'server_error', param: null, code: 'generation_failed' } };
      expect(mp.at(-1)).toEqual(error);
      expect(mp.filter((c) => 'error' in c)).toHaveLength(1);
      const choice = (c: Obj) => (c.choices as { text?: string; delta?: object }[])[0];
      expect(mp.slice(0, -1).map((c) => choice(c).text ?? choice(c).delta)).toEqual([...before]);
    });
  }
});
