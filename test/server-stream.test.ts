// Streaming over real HTTP: exact SSE framing, the msgpack stream decoded with msgpackr, 16
// concurrent streams (golden tiny-a); and, over a scripted engine the test steps one forward pass at
// a time (helpers/server-gated.ts), a client that disconnects mid-stream (its request ends right
// after the pass in flight: not one token more) and 429 when the queue is full.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { unpackMultiple, UnpackrStream } from 'msgpackr';
import { Readable } from 'node:stream';
import type { LoadedModel } from '../src/generate/index.ts';
import type { RunningServer } from '../src/server/start.ts';
import { aborted, until } from './helpers/gate.ts';
import { greedyIds, loadReference, startTestServer } from './helpers/server.ts';
import { startGatedServer, type GatedServer } from './helpers/server-gated.ts';

let srv: RunningServer, one: GatedServer, ref: LoadedModel;
beforeAll(async () => {
  [srv, one, ref] = await Promise.all([
    startTestServer({ parallel: 4, maxQueue: 32 }),
    startGatedServer({ parallel: 1, maxQueue: 1 }), // one slot, one waiting request
    loadReference(),
  ]);
});
afterAll(async () => {
  await Promise.all([srv?.stop(), one?.stop()]);
  ref?.release();
});

const post = (base: string, path: string, body: object, init: RequestInit = {}) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...init.headers }, body: JSON.stringify(body), signal: init.signal });

type Chunk = { id: string; choices: { text?: string; delta?: { content?: string }; finish_reason: string | null }[]; usage?: { completion_tokens: number } };

/** Reads SSE frames until the end or `stopAfter` frames; then `abort` (if given) drops the connection. */
async function frames(res: Response, stopAfter = Infinity, abort?: AbortController): Promise<string[]> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  const out: string[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out;
    buf += dec.decode(value, { stream: true });
    let at: number;
    while ((at = buf.indexOf('\n\n')) >= 0) {
      out.push(buf.slice(0, at));
      buf = buf.slice(at + 2);
      if (out.length < stopAfter) continue;
      if (abort) { abort.abort(); await reader.cancel().catch(() => {}); } else reader.releaseLock();
      return out;
    }
  }
}

async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`oss_edge_${name} `));
  return Number(line?.split(' ')[1]);
}

let jobs = 0; // jobs submitted to the gated server so far

/** Posts to the gated server; resolves with the response promise and the job the scheduler got. */
async function gatedPost(body: object, ac: AbortController) {
  const res = post(one.url, '/v1/completions', body, { signal: ac.signal });
  res.catch(() => {}); // a client that aborts rejects it; the tests look at it when they mean to
  return { res, job: await one.job(jobs++) };
}

/** The gated server idle again: no slot busy, nothing queued, no forward pass held. */
async function idle(): Promise<void> {
  // A held pass means a request still runs (it cannot end without the test): stop waiting then.
  await until(() => (one.scheduler.busy === 0 && one.scheduler.queued === 0) || one.gate.holding > 0);
  expect([one.scheduler.busy, one.scheduler.queued, one.gate.holding]).toEqual([0, 0, 0]);
}

describe('streaming', () => {
  test('SSE: exact `data: {json}\\n\\n` frames, one id, role first, finish last, then [DONE]', async () => {
    const res = await post(srv.url, '/v1/chat/completions', { messages: [{ role: 'user', content: 'frame me' }], max_tokens: 12, temperature: 0, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toStartWith('text/event-stream');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const text = await res.text();
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    const chunks = text.slice(0, -'data: [DONE]\n\n'.length).split('\n\n').slice(0, -1).map((f) => JSON.parse(f.slice('data: '.length)));
    expect(text).toBe(chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('') + 'data: [DONE]\n\n');
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.at(-1).choices[0]).toMatchObject({ delta: {}, finish_reason: 'length' });
    for (const c of chunks.slice(0, -1)) expect(c).toMatchObject({ object: 'chat.completion.chunk', choices: [{ index: 0, finish_reason: null }] });
  });

  test('msgpack: the same chunk objects, concatenated, decoded by msgpackr', async () => {
    const body = { prompt: [504, 7, 8, 9], max_tokens: 10, temperature: 0, stream: true, stream_options: { include_usage: true } };
    const sse = (await (await post(srv.url, '/v1/completions', body)).text()).split('\n\n').filter((f) => f.startsWith('data: {')).map((f) => JSON.parse(f.slice(6)));
    const res = await post(srv.url, '/v1/completions', body, { headers: { Accept: 'application/x-msgpack' } });
    expect(res.headers.get('content-type')).toBe('application/x-msgpack');
    const objs = unpackMultiple(new Uint8Array(await res.arrayBuffer())) as Chunk[];
    const strip = (c: Chunk) => ({ ...c, id: '', created: 0, usage: c.usage && { ...c.usage, prompt_tokens_details: null } });
    expect(objs.map(strip)).toEqual(sse.map(strip));
    expect(objs.at(-1)!.usage).toMatchObject({ completion_tokens: 10, prompt_tokens_details: { cached_tokens: 3 } }); // the SSE run's prefix

    // Decoded incrementally as it arrives, as the README shows.
    const live = await post(srv.url, '/v1/completions', body, { headers: { Accept: 'application/x-msgpack' } });
    const decoded: Chunk[] = [];
    for await (const c of Readable.fromWeb(live.body! as never).pipe(new UnpackrStream({ mapsAsObjects: true }))) decoded.push(c);
    expect(decoded.map(strip)).toEqual(sse.map(strip));
  });

  test('a client that disconnects mid-stream: its request ends after the pass in flight, not one token later', async () => {
    const cancelled = await metric(one.url, 'generations_total{finish="cancelled"}');
    const baseline = await metric(one.url, 'generated_tokens_total');
    const ac = new AbortController(), evals0 = one.evals.length;
    const a = await gatedPost({ prompt: [10, 1, 2, 3], max_tokens: 3500, temperature: 0, stream: true }, ac);
    await one.gate.step(3); // the prompt (→ token 1), then tokens 2 and 3
    const got = await frames(await a.res, 3);
    expect(got.map((f) => JSON.parse(f.slice(6)).choices[0].text)).toEqual(['a', 'a', 'a']);
    await one.gate.waiting(); // the pass for token 4 is in flight
    ac.abort();
    await aborted(a.job.signal!); // the server saw the client go
    await one.gate.step(); // the pass in flight ends; its token is not sampled
    await idle();
    expect(one.evals.length - evals0).toBe(4); // prompt + 3 decode passes, none after the disconnect
    expect(await metric(one.url, 'generated_tokens_total') - baseline).toBe(3);
    expect(await metric(one.url, 'generations_total{finish="cancelled"}')).toBe(cancelled + 1);
    // The slot serves the next request.
    const next = await gatedPost({ prompt: [10, 5], max_tokens: 3, temperature: 0 }, new AbortController());
    await one.gate.step(3);
    const res = await next.res;
    expect(res.status).toBe(200);
    expect((await res.json()).choices[0]).toMatchObject({ text: 'aaa', finish_reason: 'length' });
    await idle();
  });

  test('a non-streamed request whose client leaves is cancelled too', async () => {
    const cancelled = await metric(one.url, 'generations_total{finish="cancelled"}');
    const baseline = await metric(one.url, 'generated_tokens_total');
    const ac = new AbortController(), evals0 = one.evals.length;
    const a = await gatedPost({ prompt: [10, 1, 2], max_tokens: 3500, temperature: 0 }, ac);
    await one.gate.step(2); // the prompt (→ token 1), token 2
    await one.gate.waiting(); // the pass for token 3 is in flight
    ac.abort();
    expect(await a.res.catch((e) => e)).toBeInstanceOf(Error);
    await aborted(a.job.signal!);
    await one.gate.step();
    await idle();
    expect(one.evals.length - evals0).toBe(3);
    expect(await metric(one.url, 'generated_tokens_total') - baseline).toBe(2);
    expect(await metric(one.url, 'generations_total{finish="cancelled"}')).toBe(cancelled + 1);
  });

  test('16 concurrent streams on 4 slots all complete with their own greedy tokens', async () => {
    const stop = new Set([500, 497]);
    const jobs = Array.from({ length: 16 }, (_, i) => ({ prompt: [504, 10 + i, 200 + i, 30 + 2 * i], max: 6 + (i % 5) * 3 }));
    const results = await Promise.all(jobs.map(async (j) => {
      const res = await post(srv.url, '/v1/completions', { prompt: j.prompt, max_tokens: j.max, temperature: 0, stream: true, stream_options: { include_usage: true } });
      const chunks = (await frames(res)).filter((f) => f.startsWith('data: {')).map((f) => JSON.parse(f.slice(6)) as Chunk);
      return { text: chunks.map((c) => c.choices[0]?.text ?? '').join(''), usage: chunks.at(-1)!.usage!, finish: chunks.at(-2)!.choices[0].finish_reason };
    }));
    for (const [i, j] of jobs.entries()) {
      const ids = await greedyIds(ref, j.prompt, j.max, stop);
      expect(results[i].text).toBe(ref.tokenizer.decode(ids.filter((id) => !stop.has(id))));
      expect(results[i].usage.completion_tokens).toBe(ids.length);
      expect(results[i].finish).toBe(stop.has(ids.at(-1)!) ? 'stop' : 'length');
    }
  });

  test('a full queue answers 429 with Retry-After; the others are served', async () => {
    const long = { prompt: [10, 9], max_tokens: 3000, temperature: 0, stream: true };
    const acA = new AbortController(), acB = new AbortController();
    const a = await gatedPost(long, acA);
    await one.gate.step(); // A's prompt: A holds the only slot, its next pass held at the gate
    expect((await frames(await a.res, 1)).length).toBe(1);
    const b = await gatedPost(long, acB); // B waits in the queue
    expect([one.scheduler.busy, one.scheduler.queued]).toEqual([1, 1]);
    const resC = await post(one.url, '/v1/completions', { prompt: [10, 3], max_tokens: 2 });
    jobs++; // C reached the scheduler, which refused it
    expect(resC.status).toBe(429);
    expect(resC.headers.get('retry-after')).toBe('1');
    expect((await resC.json()).error).toMatchObject({ type: 'rate_limit_error', code: 'queue_full' });
    acA.abort();
    await aborted(a.job.signal!);
    await one.gate.step(); // A's pass in flight ends; A leaves, B takes the slot
    await one.gate.step(2); // B's prompt and one token
    const gotB = await b.res;
    expect(gotB.status).toBe(200);
    expect((await frames(gotB, 2)).length).toBe(2);
    await one.gate.waiting();
    acB.abort();
    await aborted(b.job.signal!);
    await one.gate.step();
    await idle();
  });
});

test('GET /metrics is Prometheus text: requests, tokens, queue, throughput, time to first token', async () => {
  expect((await post(srv.url, '/v1/completions', { prompt: [504, 1], max_tokens: 3 })).status).toBe(200);
  const res = await fetch(`${srv.url}/metrics`);
  expect(res.headers.get('content-type')).toStartWith('text/plain; version=0.0.4');
  const text = await res.text();
  const samples = text.split('\n').filter((l) => l && !l.startsWith('#'));
  for (const l of samples) expect(l).toMatch(/^oss_edge_[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+-]+$/);
  for (const name of ['requests_total', 'prompt_tokens_total', 'generated_tokens_total', 'queue_depth', 'slots_busy', 'prefill_tokens_per_second', 'decode_tokens_per_second', 'time_to_first_token_seconds']) {
    expect(text).toContain(`# TYPE oss_edge_${name} `);
  }
  expect(await metric(srv.url, 'generated_tokens_total')).toBeGreaterThan(0);
  expect(await metric(srv.url, 'decode_tokens_per_second')).toBeGreaterThan(0);
  expect(text).toMatch(/oss_edge_requests_total\{route="\/v1\/completions",status="200"\} \d+/);
  expect(text).toMatch(/oss_edge_time_to_first_token_seconds_bucket\{le="\+Inf"\} [1-9]/);
});
