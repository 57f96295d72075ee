// Reliability suite (issue 11), against `serve` (the demo checkpoint) in a child process on
// loopback, so the server's event loop is apart from the test's:
// - a seeded fuzzer over every route, method and field (OSS_EDGE_FUZZ_CASES, default 2,000):
//   no 5xx, reset, hang or non-JSON error body, and /health answers throughout;
// - 64 concurrent streams, each identical to the same request sent alone; 429 + Retry-After past
//   the queue; 50 clients that leave mid-stream, then an answer with no slot left busy;
// - the 1 MiB cases (message, system prompt, tool description, tool arguments, response_format
//   name, completions prompt, emoji pairs, schemas nested 10,000 deep) each refused with a 4xx,
//   while /health keeps answering (its latency measured during each request).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { fuzzCases } from './helpers/fuzz-requests.ts';
import { startChildServer, type ChildServer } from './helpers/server-child.ts';

const FUZZ_CASES = Number(process.env.OSS_EDGE_FUZZ_CASES ?? 2000);
const SLOTS = 4, QUEUE = 60;
let srv: ChildServer;
beforeAll(async () => {
  srv = await startChildServer(['--threads', '1', '--parallel', String(SLOTS), '--max-queue', String(QUEUE), '--ctx', '32768']);
}, 60_000);
afterAll(async () => { expect(await srv?.stop()).toBe(0); });

const isErrorShape = (j: unknown) => {
  const e = (j as { error?: Record<string, unknown> } | null)?.error;
  return !!e && typeof e.message === 'string' && typeof e.type === 'string' && 'param' in e && 'code' in e;
};
const json = (t: string) => { try { return JSON.parse(t); } catch { return undefined; } };
const health = async () => (await (await fetch(`${srv.url}/health`, { signal: AbortSignal.timeout(10_000) })).json()) as { status: string; slots: { busy: number }; queue: number };

/** Polls /health until `ok` holds (no fixed sleep: each poll waits for the server's answer). */
async function until(ok: (h: Awaited<ReturnType<typeof health>>) => boolean): Promise<void> {
  while (!ok(await health())) await Bun.sleep(20);
}

async function chatStream(content: string, maxTokens: number, signal?: AbortSignal) {
  return fetch(`${srv.url}/v1/chat/completions`, {
    method: 'POST', signal, headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content }], max_tokens: maxTokens, temperature: 0, stream: true }),
  });
}

/** The deltas of an SSE chat stream, in order, and its finish reason. */
async function deltas(res: Response): Promise<{ deltas: string[]; finish: string | null; done: boolean }> {
  const text = await res.text();
  const out: string[] = [];
  let finish: string | null = null;
  for (const frame of text.split('\n\n')) {
    if (!frame.startsWith('data: ') || frame === 'data: [DONE]') continue;
    const c = JSON.parse(frame.slice(6));
    if (c.error) throw new Error(`error chunk: ${JSON.stringify(c.error)}`);
    out.push(JSON.stringify(c.choices[0].delta));
    finish = c.choices[0].finish_reason ?? finish;
  }
  return { deltas: out, finish, done: text.endsWith('data: [DONE]\n\n') };
}

test(`fuzz: ${FUZZ_CASES} seeded cases over every route, method and field`, async () => {
  const cases = fuzzCases(11, FUZZ_CASES);
  const tally = new Map<string, { tried: number; failed: number; statuses: Record<number, number> }>();
  const failures: string[] = [];
  const fail = (kind: string, why: string) => { tally.get(kind)!.failed++; if (failures.length < 10) failures.push(`${kind}: ${why}`); };
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < cases.length; i = next++) {
      const c = cases[i];
      const t = tally.get(c.kind) ?? { tried: 0, failed: 0, statuses: {} };
      tally.set(c.kind, t);
      t.tried++;
      let res: Response, text: string;
      try {
        res = await fetch(`${srv.url}${c.path}`, { method: c.method, headers: c.headers, body: c.body, signal: AbortSignal.timeout(60_000) });
        text = await res.text();
      } catch (e) {
        fail(c.kind, `#${i} ${c.method} ${c.path}: ${(e as Error).name === 'TimeoutError' ? 'hang (no answer in 60 s)' : `reset: ${(e as Error).message}`}`);
        continue;
      }
      t.statuses[res.status] = (t.statuses[res.status] ?? 0) + 1;
      if (res.status >= 500) fail(c.kind, `#${i} ${c.method} ${c.path} → ${res.status} ${text.slice(0, 200)}`);
      else if (res.status >= 400 && c.method !== 'HEAD' && !isErrorShape(json(text))) fail(c.kind, `#${i} ${c.method} ${c.path} → ${res.status} with a body not in the error shape: ${JSON.stringify(text.slice(0, 200))}`);
      else if (res.status === 200 && (res.headers.get('content-type') ?? '').startsWith('text/event-stream') && !text.endsWith('data: [DONE]\n\n')) fail(c.kind, `#${i}: a stream that did not end with [DONE]`);
      else if (text.includes('"error":') && text.includes('data: ') && text.includes('server_error')) fail(c.kind, `#${i}: a stream ended in a server error: ${text.slice(-300)}`);
      if (i % 100 === 99 && (await health()).status !== 'ok') fail(c.kind, `#${i}: /health stopped answering ok`);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  const rows = [...tally].map(([kind, t]) => `${kind.padEnd(18)} tried ${String(t.tried).padStart(5)}  failed ${t.failed}  ${JSON.stringify(t.statuses)}`);
  console.log(`fuzz (seed 11, ${FUZZ_CASES} cases):\n${rows.join('\n')}`);
  expect(failures).toEqual([]);
  expect([...tally.values()].reduce((n, t) => n + t.tried, 0)).toBe(FUZZ_CASES);
  expect((await health()).status).toBe('ok');
}, 600_000);

describe('streams under load', () => {
  test('64 concurrent streams: each identical to the same request sent alone, no token lost or mixed', async () => {
    const prompts = Array.from({ length: 64 }, (_, i) => `stream number ${i}: tell me about ${['cats', 'rain', 'trains', 'maps'][i % 4]}`);
    const together = await Promise.all(prompts.map(async (p) => deltas(await chatStream(p, 8))));
    const alone: typeof together = [];
    for (const p of prompts) alone.push(await deltas(await chatStream(p, 8)));
    for (let i = 0; i < 64; i++) {
      expect(together[i].done).toBe(true);
      expect(together[i].deltas).toEqual(alone[i].deltas);
      expect(together[i].finish).toBe(alone[i].finish);
    }
    expect(new Set(together.map((t) => t.deltas.join(''))).size).toBeGreaterThan(1); // the prompts do lead to different streams
    await until((h) => h.slots.busy === 0 && h.queue === 0);
  }, 300_000);

  test(`past ${SLOTS} slots + ${QUEUE} queued: 429 with Retry-After, in the error shape`, async () => {
    const hold = new AbortController();
    const held = Array.from({ length: SLOTS + QUEUE }, (_, i) => chatStream(`hold ${i}`, 4000, hold.signal).catch(() => null));
    await until((h) => h.slots.busy === SLOTS && h.queue === QUEUE);
    const extra = await Promise.all(Array.from({ length: 8 }, (_, i) => chatStream(`extra ${i}`, 4)));
    for (const r of extra) {
      expect(r.status).toBe(429);
      expect(r.headers.get('retry-after')).toBe('1');
      const body = await r.json();
      expect(isErrorShape(body)).toBe(true);
      expect(body.error).toMatchObject({ type: 'rate_limit_error', code: 'queue_full' });
    }
    hold.abort();
    await Promise.all(held);
    await until((h) => h.slots.busy === 0 && h.queue === 0);
  }, 300_000);

  test('50 clients leave mid-stream: all 50 generations are cancelled, no slot stays busy, the next request is answered', async () => {
    const cancelled = async () => Number(/generations_total\{finish="cancelled"\} (\d+)/.exec(await (await fetch(`${srv.url}/metrics`)).text())?.[1] ?? 0);
    const before = await cancelled();
    await Promise.all(Array.from({ length: 50 }, async (_, i) => {
      const ac = new AbortController();
      const res = await chatStream(`leave ${i}`, 4000, ac.signal);
      const reader = res.body!.getReader();
      expect((await reader.read()).done).toBe(false); // the first chunk arrived
      ac.abort();
      await reader.cancel().catch(() => {});
    }));
    await until((h) => h.slots.busy === 0 && h.queue === 0);
    expect(await cancelled()).toBe(before + 50);
    const t0 = performance.now();
    const r = await fetch(`${srv.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: 'still there?' }], max_tokens: 2 }) });
    expect(r.status).toBe(200);
    expect((await r.json()).choices[0].finish_reason).toBe('length');
    console.log(`after 50 disconnects: answered in ${(performance.now() - t0).toFixed(0)} ms`);
  }, 300_000);
});

describe('1 MiB requests while /health keeps answering', () => {
  const MIB = 1 << 20;
  const fill = (unit: string) => unit.repeat(Math.floor(MIB / Buffer.byteLength(unit)));
  const big = fill('a');
  const deep = (n: number, oneOf: boolean) => `${(oneOf ? '{"oneOf":[' : '{"type":"object","properties":{"a":').repeat(n)}{"type":"string"}${(oneOf ? ']}' : '}}').repeat(n)}`;
  const chatWith = (extra: object) => ({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 1, ...extra });
  const CASES: Array<[string, string, string, string]> = [
    ['message text', '/v1/chat/completions', JSON.stringify(chatWith({ messages: [{ role: 'user', content: big }] })), 'context_length_exceeded'],
    ['system prompt', '/v1/chat/completions', JSON.stringify(chatWith({ messages: [{ role: 'system', content: big }, { role: 'user', content: 'hi' }] })), 'context_length_exceeded'],
    ['instructions', '/v1/chat/completions', JSON.stringify(chatWith({ instructions: big })), 'context_length_exceeded'],
    ['tool description', '/v1/chat/completions', JSON.stringify(chatWith({ tools: [{ type: 'function', function: { name: 'f', description: big } }] })), 'context_length_exceeded'],
    ['tool arguments', '/v1/chat/completions', JSON.stringify(chatWith({ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: big } }] }, { role: 'tool', tool_call_id: 'c1', content: 'ok' }] })), 'context_length_exceeded'],
    ['response_format name', '/v1/chat/completions', JSON.stringify(chatWith({ response_format: { type: 'json_schema', json_schema: { name: big, schema: { type: 'object' } } } })), 'context_length_exceeded'],
    ['completions prompt', '/v1/completions', JSON.stringify({ prompt: big, max_tokens: 1 }), 'context_length_exceeded'],
    ['emoji pairs', '/v1/chat/completions', JSON.stringify(chatWith({ messages: [{ role: 'user', content: fill('👍🏽') }] })), 'context_length_exceeded'],
    ['CJK', '/v1/chat/completions', JSON.stringify(chatWith({ messages: [{ role: 'user', content: fill('日本語') }] })), 'context_length_exceeded'],
    ['schema nested 10,000 deep', '/v1/chat/completions', JSON.stringify(chatWith({ tools: [{ type: 'function', function: { name: 'f', parameters: 'S' } }] })).replace('"S"', deep(10_000, false)), 'json_too_deep'],
    ['oneOf nested 10,000 deep', '/v1/chat/completions', JSON.stringify(chatWith({ tools: [{ type: 'function', function: { name: 'f', parameters: 'S' } }] })).replace('"S"', deep(10_000, true)), 'json_too_deep'],
  ];
  const all: number[] = [];
  test.each(CASES)('%s → 400, /health answering meanwhile', async (_, path, body, code) => {
    let done = false;
    const latencies: number[] = [];
    const poller = (async () => {
      while (!done) {
        const t0 = performance.now();
        const h = await fetch(`${srv.url}/health`);
        await h.text();
        latencies.push(performance.now() - t0);
        expect(h.status).toBe(200);
        await Bun.sleep(5);
      }
    })();
    const res = await fetch(`${srv.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    const answer = await res.json();
    done = true;
    await poller;
    expect(res.status).toBe(400);
    expect(answer.error.code).toBe(code);
    all.push(...latencies);
    latencies.sort((a, b) => a - b);
    console.log(`${_}: ${res.status} ${code}; /health × ${latencies.length}: median ${latencies[latencies.length >> 1]?.toFixed(1)} ms, worst ${latencies.at(-1)?.toFixed(1)} ms`);
    // The property: the event loop never stalls for the request. Before the worker, /health waited
    // for the whole tokenization (4.6 s for 64 Ki "a", over 60 s for 1 MiB of emoji). 100 ms is the
    // target (README); the bound below leaves room for a 2-core CI machine whose one core runs the
    // prompt worker while the server, this test and the collector share the other.
    expect(latencies.at(-1)!).toBeLessThan(400);
  }, 120_000);

  test('over all 1 MiB cases, /health answered within 100 ms at the 95th percentile', () => {
    all.sort((a, b) => a - b);
    const p95 = all[Math.floor(all.length * 0.95)];
    console.log(`/health during the 1 MiB cases: ${all.length} answers, p50 ${all[all.length >> 1].toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, p99 ${all[Math.floor(all.length * 0.99)].toFixed(1)} ms, worst ${all.at(-1)!.toFixed(1)} ms`);
    expect(all.length).toBeGreaterThan(20);
    expect(p95).toBeLessThan(100);
  });
});
