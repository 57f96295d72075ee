// The msgpack framing (Accept: application/x-msgpack) beyond /v1/completions: a streamed chat is the
// same chunk objects as its SSE stream (golden tiny-a, greedy), and a generation that fails
// mid-stream ends both framings with the same last {"error": …} chunk (a scripted engine that
// fails on its third forward pass), decoded by msgpackr as a client would, and by a strict decoder
// of plain msgpack (no msgpackr extension: clients in other languages read the stream too).
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
  const bytes = new Uint8Array(await res.arrayBuffer());
  const mp = unpackMultiple(bytes) as Obj[];
  // Plain msgpack, as any client's decoder reads it: no msgpackr extension (records, undefined).
  expect(plainMsgpack(bytes)).toEqual(mp);
  return { sse, mp, sseText, mpType: res.headers.get('content-type') };
}

/**
 * A strict decoder of the MessagePack spec's core types written here (not msgpackr): nil, bool,
 * ints, floats, str, bin, array, map with string keys. Throws on any ext type (msgpackr's records
 * and its `undefined` are ext types) and on the never-used byte 0xc1.
 */
function plainMsgpack(b: Uint8Array): unknown[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength), td = new TextDecoder('utf-8', { fatal: true });
  let p = 0;
  const num = (n: number, signed: boolean): number => {
    const v = n === 1 ? (signed ? dv.getInt8(p) : dv.getUint8(p)) : n === 2 ? (signed ? dv.getInt16(p) : dv.getUint16(p))
      : n === 4 ? (signed ? dv.getInt32(p) : dv.getUint32(p)) : Number(signed ? dv.getBigInt64(p) : dv.getBigUint64(p));
    p += n;
    return v;
  };
  const str = (n: number) => td.decode(b.subarray(p, (p += n)));
  const arr = (n: number) => Array.from({ length: n }, () => one());
  const map = (n: number) => {
    const o: Obj = {};
    for (let i = 0; i < n; i++) {
      const k = one();
      if (typeof k !== 'string') throw new Error(`map key ${String(k)} is not a string`);
      o[k] = one();
    }
    return o;
  };
  function one(): unknown {
    if (p >= b.length) throw new Error('truncated msgpack');
    const t = b[p++];
    if (t < 0x80) return t;
    if (t < 0x90) return map(t & 0x0f);
    if (t < 0xa0) return arr(t & 0x0f);
    if (t < 0xc0) return str(t & 0x1f);
    if (t >= 0xe0) return t - 0x100;
    switch (t) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: case 0xc5: case 0xc6: { const n = num(1 << (t - 0xc4), false); return b.slice(p, (p += n)); }
      case 0xca: { const v = dv.getFloat32(p); p += 4; return v; }
      case 0xcb: { const v = dv.getFloat64(p); p += 8; return v; }
      case 0xcc: case 0xcd: case 0xce: case 0xcf: return num(1 << (t - 0xcc), false);
      case 0xd0: case 0xd1: case 0xd2: case 0xd3: return num(1 << (t - 0xd0), true);
      case 0xd9: case 0xda: case 0xdb: return str(num(1 << (t - 0xd9), false));
      case 0xdc: case 0xdd: return arr(num(t === 0xdc ? 2 : 4, false));
      case 0xde: case 0xdf: return map(num(t === 0xde ? 2 : 4, false));
    }
    throw new Error(`byte 0x${t.toString(16)} at offset ${p - 1}: not plain msgpack (an ext type, or 0xc1)`);
  }
  const out: unknown[] = [];
  while (p < b.length) out.push(one());
  return out;
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
