// The official openai SDK against a real server on 127.0.0.1 serving golden tiny-a: greedy output
// over HTTP must be the engine's own greedy ids, through the harmony parser for chat.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import { chatStopIds, type LoadedModel } from '../src/generate/index.ts';
import { HarmonyParser, renderChat, type ChatRequest } from '../src/harmony/index.ts';
import type { RunningServer } from '../src/server/start.ts';
import { greedyIds, loadReference, startTestServer } from './helpers/server.ts';

const KEY = 'sk-test-key';
let srv: RunningServer, ref: LoadedModel, client: OpenAI;

beforeAll(async () => {
  [srv, ref] = await Promise.all([startTestServer({ apiKey: KEY }), loadReference()]);
  // The SDK timeout only stops a hang (each request here takes well under a second).
  client = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: KEY, maxRetries: 0, timeout: 110_000 });
});
afterAll(async () => {
  await srv?.stop();
  ref?.release();
});

/** What the server must answer for a chat request at temperature 0: engine greedy → harmony parser. */
async function expectedChat(req: ChatRequest, max: number) {
  const prompt = renderChat(ref.tokenizer, req).ids;
  const ids = await greedyIds(ref, prompt, max, chatStopIds(ref.tokenizer));
  const p = new HarmonyParser(ref.tokenizer, { role: 'assistant' });
  const events = [...p.push(ids), ...p.finish(ids.length === max ? 'length' : 'stop')];
  const text = (type: string) => events.map((e) => (e.type === type && 'delta' in e ? e.delta : '')).join('');
  const done = events.find((e) => e.type === 'done') as { reason: string };
  return { prompt, ids, content: text('content') + text('preamble'), reasoning: text('reasoning'), finish: done.reason };
}

// Server and reference run the same engine; they may batch the prompt differently (chunk sizes),
// which moves logits by float rounding only.
const LP_TOL = 1e-4;

interface RefStep { id: number; logprob: number; top: { id: number; logprob: number }[] }

/**
 * The reference model's greedy steps (argmax after the banned ids' -100 bias, lowest id on ties),
 * each with log-probabilities computed here in float64 from its raw logits (OpenAI's logprobs are
 * those of the unbiased distribution): the chosen id's and the best ids', best first.
 */
async function referenceSteps(prompt: number[], max: number, stopIds: ReadonlySet<number>, banned: ReadonlySet<number> = new Set()): Promise<RefStep[]> {
  const s = ref.model.newSession(prompt.length + max + 1);
  let logits = await s.eval(prompt, 'last');
  const out: RefStep[] = [];
  for (;;) {
    const raw = Array.from(logits.subarray(0, ref.limit));
    let id = -1;
    for (let i = 0; i < raw.length; i++) if (!banned.has(i) && (id < 0 || raw[i] > raw[id])) id = i;
    const max0 = Math.max(...raw);
    const logZ = max0 + Math.log(raw.reduce((sum, x) => sum + Math.exp(x - max0), 0));
    const order = raw.map((x, i) => i).sort((a, b) => raw[b] - raw[a] || a - b);
    out.push({ id, logprob: raw[id] - logZ, top: order.slice(0, 5).map((i) => ({ id: i, logprob: raw[i] - logZ })) });
    if (stopIds.has(id) || out.length === max) return out;
    logits = await s.eval([id], 'last');
  }
}

describe('openai SDK against tiny-a', () => {
  test('models.list and models.retrieve', async () => {
    const list = await client.models.list();
    expect(list.data.map((m) => m.id)).toEqual(['tiny-a']);
    expect((await client.models.retrieve('tiny-a')).object).toBe('model');
  });

  test('chat, not streamed: greedy reply = the engine greedy ids through the harmony parser', async () => {
    const messages: ChatRequest['messages'] = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello there, tiny model.' }];
    const want = await expectedChat({ messages, reasoning_effort: 'low' }, 40);
    const r = await client.chat.completions.create({ model: 'tiny-a', messages: messages as never, reasoning_effort: 'low', temperature: 0, max_tokens: 40 });
    const m = r.choices[0].message as typeof r.choices[0]['message'] & { reasoning_content?: string };
    expect(r.object).toBe('chat.completion');
    expect(m.content ?? '').toBe(want.content);
    expect(m.reasoning_content ?? '').toBe(want.reasoning);
    expect(r.choices[0].finish_reason).toBe(want.finish as never);
    expect(r.usage).toMatchObject({ prompt_tokens: want.prompt.length, completion_tokens: want.ids.length, total_tokens: want.prompt.length + want.ids.length });
  });

  test('chat, streamed: deltas add up to the same reply, then a usage chunk', async () => {
    const messages: ChatRequest['messages'] = [{ role: 'user', content: 'Stream me something.' }];
    const want = await expectedChat({ messages }, 60);
    const stream = await client.chat.completions.create({ model: 'tiny-a', messages: messages as never, temperature: 0, max_completion_tokens: 60, stream: true, stream_options: { include_usage: true } });
    let content = '', reasoning = '', finish: string | null = null, usage: OpenAI.CompletionUsage | null | undefined = null, chunks = 0;
    for await (const c of stream) {
      chunks++;
      if (c.usage) usage = c.usage;
      const ch = c.choices[0];
      if (!ch) continue;
      content += ch.delta.content ?? '';
      reasoning += (ch.delta as { reasoning_content?: string }).reasoning_content ?? '';
      if (ch.finish_reason) finish = ch.finish_reason;
    }
    expect(chunks).toBeGreaterThanOrEqual(3); // role, text, finish (+ usage)
    expect(content).toBe(want.content);
    expect(reasoning).toBe(want.reasoning);
    expect(finish).toBe(want.finish);
    expect(usage).toMatchObject({ prompt_tokens: want.prompt.length, completion_tokens: want.ids.length });
  });

  test('completions: token-id and text prompts continue with the engine greedy ids', async () => {
    const prompt = [504, 253, 271, 145, 182, 397, 281, 370];
    const stop = new Set([500, 497]); // tiny-a eos (<|return|>) and <|endoftext|>
    const ids = await greedyIds(ref, prompt, 24, stop);
    const text = ref.tokenizer.decode(ids.filter((id) => !stop.has(id)));
    const r = await client.completions.create({ model: 'tiny-a', prompt, max_tokens: 24, temperature: 0 });
    expect(r.choices[0].text).toBe(text);
    expect(r.usage?.completion_tokens).toBe(ids.length);
    expect(r.choices[0].finish_reason).toBe(ids.length === 24 && !stop.has(ids[23]) ? 'length' : 'stop');

    const tp = ref.tokenizer.encode('Once upon a time');
    const tids = await greedyIds(ref, tp, 10, stop);
    const t = await client.completions.create({ model: 'tiny-a', prompt: 'Once upon a time', max_tokens: 10, temperature: 0, echo: true });
    expect(t.choices[0].text).toBe('Once upon a time' + ref.tokenizer.decode(tids.filter((id) => !stop.has(id))));
  });

  test('completions: a stop string cuts the text (streamed or not) and ends with finish stop', async () => {
    const prompt = [504, 253, 271, 145];
    const full = (await client.completions.create({ model: 'tiny-a', prompt, max_tokens: 30, temperature: 0 })).choices[0].text;
    const at = [...full].findIndex((ch, i) => i >= 4 && /[a-z]/.test(ch));
    expect(at).toBeGreaterThan(0);
    const stop = [...full][at];
    const want = full.slice(0, full.indexOf(stop));
    const r = await client.completions.create({ model: 'tiny-a', prompt, max_tokens: 30, temperature: 0, stop: [stop, 'never-there'] });
    expect(r.choices[0]).toMatchObject({ text: want, finish_reason: 'stop' });
    let streamed = '';
    for await (const c of await client.completions.create({ model: 'tiny-a', prompt, max_tokens: 30, temperature: 0, stop, stream: true })) streamed += c.choices[0]?.text ?? '';
    expect(streamed).toBe(want);
  });

  test('completions, streamed, with logprobs: every token and its 3 alternatives = the reference model\'s log-softmax', async () => {
    const prompt = [504, 100, 101, 102];
    const want = await referenceSteps(prompt, 6, new Set());
    const stream = await client.completions.create({ model: 'tiny-a', prompt, max_tokens: 6, temperature: 0, logprobs: 3, stream: true });
    const tokens: string[] = [], lps: number[] = [], tops: Record<string, number>[] = [];
    for await (const c of stream) {
      tokens.push(...(c.choices[0]?.logprobs?.tokens ?? []));
      lps.push(...(c.choices[0]?.logprobs?.token_logprobs ?? []));
      tops.push(...(c.choices[0]?.logprobs?.top_logprobs ?? []) as Record<string, number>[]);
    }
    expect(want.map((w) => w.id)).toHaveLength(6);
    expect(tokens).toEqual(want.map((w) => ref.tokenizer.decode([w.id])));
    expect(lps).toHaveLength(6);
    expect(tops).toHaveLength(6);
    for (const [i, w] of want.entries()) {
      expect(Math.abs(lps[i] - w.logprob)).toBeLessThanOrEqual(LP_TOL);
      // {token text: logprob} for the 3 best ids (two ids with the same text share one key, last wins)
      const top = Object.fromEntries(w.top.slice(0, 3).map((a) => [ref.tokenizer.decode([a.id]), a.logprob]));
      expect(Object.keys(tops[i]).sort()).toEqual(Object.keys(top).sort());
      for (const [k, v] of Object.entries(top)) expect(Math.abs(tops[i][k] - v)).toBeLessThanOrEqual(LP_TOL);
    }
  });

  test('chat logprobs: one entry per content token, with its 3 alternatives, = the reference model\'s log-softmax', async () => {
    // Banning the harmony header tokens makes the random model's whole reply a bare (content) answer.
    const banned = [503, 504, 505, 506, 510];
    const logit_bias = Object.fromEntries(banned.map((id) => [String(id), -100]));
    const prompt = renderChat(ref.tokenizer, { messages: [{ role: 'user', content: 'hi' }] }).ids;
    const stops = chatStopIds(ref.tokenizer);
    const want = await referenceSteps(prompt, 30, stops, new Set(banned));
    const r = await client.chat.completions.create({ model: 'tiny-a', messages: [{ role: 'user', content: 'hi' }], max_tokens: 30, temperature: 0, logit_bias, logprobs: true, top_logprobs: 3 });
    const lp = r.choices[0].logprobs?.content ?? [];
    // Every sampled token is behind the content except a closing stop token (it has no text).
    const content = want.filter((w) => !stops.has(w.id));
    expect(content.length).toBeGreaterThan(0);
    expect(lp).toHaveLength(content.length);
    expect(Buffer.concat(lp.map((t) => Buffer.from(t.bytes ?? []))).toString()).toBe(r.choices[0].message.content!);
    for (const [i, w] of content.entries()) {
      const t = lp[i];
      expect(t.bytes).toEqual(Array.from(ref.tokenizer.tokenBytes(w.id)));
      expect(Math.abs(t.logprob - w.logprob)).toBeLessThanOrEqual(LP_TOL);
      expect(t.top_logprobs.map((a) => a.bytes)).toEqual(w.top.slice(0, 3).map((a) => Array.from(ref.tokenizer.tokenBytes(a.id))));
      for (const [j, a] of t.top_logprobs.entries()) expect(Math.abs(a.logprob - w.top[j].logprob)).toBeLessThanOrEqual(LP_TOL);
    }
  });

  test('a seed makes sampling reproducible over HTTP', async () => {
    const topK = { top_k: 50 } as object; // an extension the SDK's types do not list; it sends it as is
    const ask = (seed: number) => client.completions.create({ model: 'tiny-a', prompt: [504, 42, 43], max_tokens: 12, temperature: 1.3, top_p: 0.95, seed, ...topK });
    const [a, b, c] = await Promise.all([ask(11), ask(11), ask(12)]);
    expect(a.choices[0].text).toBe(b.choices[0].text);
    expect(a.choices[0].text).not.toBe(c.choices[0].text);
  });

  test('errors arrive as SDK exceptions with OpenAI fields', async () => {
    const bad = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
    const e1 = await bad.models.list().catch((e) => e);
    expect(e1).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(e1.code).toBe('invalid_api_key');
    const e2 = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(e2).toBeInstanceOf(OpenAI.NotFoundError);
    expect(e2.code).toBe('model_not_found');
    expect(e2.param).toBe('model');
    const e3 = await client.chat.completions.create({ model: 'tiny-a', messages: [{ role: 'user', content: 'x' }], temperature: 7 }).catch((e) => e);
    expect(e3).toBeInstanceOf(OpenAI.BadRequestError);
    expect(e3.param).toBe('temperature');
    const e4 = await client.models.retrieve('nope').catch((e) => e);
    expect(e4).toBeInstanceOf(OpenAI.NotFoundError);
  });
});
