// The scheduler over a scripted engine: FIFO slots, the queue limit, cancellation, prefix reuse,
// and concurrent requests that never see each other's tokens.
import { describe, expect, test } from 'bun:test';
import { QueueFullError, Scheduler, type End, type GenerateJob, type OutputHandler } from '../src/generate/index.ts';
import { Gate } from './helpers/gate.ts';
import { expectedGreedy, fakeModel } from './helpers/server-fake-engine.ts';

const ids: OutputHandler<number> = { token: (t) => ({ events: [t.id] }), end: () => [] };

function job(prompt: number[], maxTokens: number, o: Partial<GenerateJob<number>> = {}): GenerateJob<number> {
  return { prompt, maxTokens, sampling: { temperature: 0 }, stopIds: new Set(), output: ids, ...o };
}

async function collect(it: AsyncIterable<number | End>): Promise<{ ids: number[]; end: End }> {
  const out: number[] = [];
  for await (const e of it) if (typeof e !== 'number') return { ids: out, end: e }; else out.push(e);
  throw new Error('no end event');
}

describe('scheduler', () => {
  test('greedy continuation, chunked prefill, finish length', async () => {
    const m = fakeModel(64, 4);
    const s = new Scheduler(m, { slots: 1, context: 64, maxQueue: 4, limit: 64 });
    const prompt = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const r = await collect(s.submit(job(prompt, 6)));
    expect(r.ids).toEqual(expectedGreedy(prompt, 6));
    expect(r.end).toMatchObject({ finish: 'length', usage: { promptTokens: 10, cachedTokens: 0, completionTokens: 6 } });
    expect(m.evals.slice(0, 3).map((e) => e.length)).toEqual([4, 4, 2]); // prefill in maxBatch chunks
    expect(s.busy).toBe(0);
  });

  test('a stop id ends with finish stop; the context ends with finish length', async () => {
    const s = new Scheduler(fakeModel(), { slots: 1, context: 12, maxQueue: 0, limit: 64 });
    const want = expectedGreedy([5], 4);
    const r = await collect(s.submit(job([5], 50, { stopIds: new Set([want[2]]) })));
    expect(r.ids).toEqual(want.slice(0, 3));
    expect(r.end).toMatchObject({ finish: 'stop', stopId: want[2] });
    const c = await collect(s.submit(job([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)));
    expect(c.end.finish).toBe('length');
    expect(c.ids.length).toBe(3); // 10 prompt + 2 evaluated = 12 positions; the 3rd is sampled from the last
    expect(() => s.submit(job(Array(12).fill(1), 1))).toThrow(RangeError);
    expect(() => s.submit(job([], 1))).toThrow(RangeError);
  });

  test('16 concurrent requests on 3 slots each get their own continuation', async () => {
    const s = new Scheduler(fakeModel(64, 4, 0), { slots: 3, context: 64, maxQueue: 16, limit: 64 });
    const prompts = Array.from({ length: 16 }, (_, i) => [i + 1, (i * 5) % 64, 3, i % 7]);
    const results = await Promise.all(prompts.map((p, i) => collect(s.submit(job(p, 5 + i)))));
    results.forEach((r, i) => {
      expect(r.ids).toEqual(expectedGreedy(prompts[i], 5 + i));
      expect(r.end.finish).toBe('length');
    });
    expect(s.busy + s.queued).toBe(0);
  });

  test('running requests decode in one pass each turn; prompt chunks fill the room left', async () => {
    const m = fakeModel(64, 8, 0);
    const s = new Scheduler(m, { slots: 3, context: 64, maxQueue: 4, limit: 64 });
    const prompts = [[1, 2], [3, 4, 5], [6]];
    const [a, b] = [collect(s.submit(job(prompts[0], 6))), collect(s.submit(job(prompts[1], 6)))];
    const c = collect(s.submit(job(Array.from({ length: 20 }, (_, i) => i + 1), 4)));
    const results = await Promise.all([a, b, c]);
    expect(results[0].ids).toEqual(expectedGreedy(prompts[0], 6));
    expect(results[1].ids).toEqual(expectedGreedy(prompts[1], 6));
    expect(results[2].ids).toEqual(expectedGreedy(Array.from({ length: 20 }, (_, i) => i + 1), 4));
    // the first request starts alone (the loop begins at its submit); then its decode token with
    // the second prompt and a chunk of the third (1 + 3 + 4 = 8); then two decode tokens and a
    // chunk in the room left (8 − 2 = 6); at the end all three decode together
    expect(m.steps.slice(0, 4)).toEqual([[2], [1, 3, 4], [1, 1, 6], [1, 1, 6]]);
    expect(m.steps.every((p) => p.reduce((x, y) => x + y, 0) <= 8)).toBe(true);
    expect(m.steps.some((p) => p.length === 3 && p.every((n) => n === 1))).toBe(true);
    expect(m.steps.length).toBeLessThan(6 + 6 + 4);
  });

  test('prompt cache: a conversation pushed out of its slot is restored and prefills only its new tail', async () => {
    const m = fakeModel(64, 16, 0);
    const s = new Scheduler(m, { slots: 1, context: 256, maxQueue: 4, limit: 64, promptCacheBytes: 1 << 20 });
    const conv = Array.from({ length: 40 }, (_, i) => (i * 3) % 64);
    const r1 = await collect(s.submit(job(conv, 5)));
    const other = Array.from({ length: 50 }, (_, i) => (i * 11 + 1) % 64);
    await collect(s.submit(job(other, 3))); // takes the only slot: the conversation is saved aside
    expect(s.promptCache!.size).toBe(1);
    const turn2 = [...conv, ...r1.ids, 9, 8, 7];
    const evalsBefore = m.evals.length;
    const r2 = await collect(s.submit(job(turn2, 4)));
    expect(r2.ids).toEqual(expectedGreedy(turn2, 4));
    // 40 prompt + 4 evaluated replies came back from the cache: only the new tail is prefilled
    expect(r2.end.usage.cachedTokens).toBe(44);
    expect(m.evals[evalsBefore]).toEqual([r1.ids[4], 9, 8, 7]);
    // the other conversation was saved in turn (it held 52 evaluated tokens)
    expect(s.promptCache!.size).toBe(1);
    const r3 = await collect(s.submit(job([...other, 1], 2)));
    expect(r3.end.usage.cachedTokens).toBe(50);
    expect(r3.ids).toEqual(expectedGreedy([...other, 1], 2));
  });

  test('prompt cache: least recently used entries go once over budget; 0 bytes keeps none', async () => {
    const m = fakeModel(64, 64, 0);
    const s = new Scheduler(m, { slots: 1, context: 512, maxQueue: 4, limit: 64, promptCacheBytes: 3 * 8 * 41 + 100 });
    const prompts = [0, 1, 2, 3, 4].map((k) => Array.from({ length: 40 }, (_, i) => (i + 13 * k) % 64));
    for (const p of prompts) await collect(s.submit(job(p, 2)));
    expect(s.promptCache!.size).toBe(3); // 4 were pushed out of the slot; 41 positions × 8 bytes each, budget for 3
    expect((await collect(s.submit(job([...prompts[0], 5], 1)))).end.usage.cachedTokens).toBe(0); // the oldest is gone
    expect((await collect(s.submit(job([...prompts[3], 5], 1)))).end.usage.cachedTokens).toBe(40);
    const none = new Scheduler(fakeModel(), { slots: 1, context: 64, maxQueue: 1, limit: 64, promptCacheBytes: 0 });
    expect(none.promptCache).toBeNull();
  });

  test('the queue is FIFO and refuses one request more than maxQueue', async () => {
    const s = new Scheduler(fakeModel(64, 4, 2), { slots: 1, context: 64, maxQueue: 2, limit: 64 });
    const order: number[] = [];
    const runs = [0, 1, 2].map((i) => collect(s.submit(job([i + 1], 3))).then((r) => { order.push(i); return r; }));
    expect(s.busy).toBe(1);
    expect(s.queued).toBe(2);
    expect(() => s.submit(job([9], 3))).toThrow(QueueFullError);
    await Promise.all(runs);
    expect(order).toEqual([0, 1, 2]);
  });

  test('abort frees the slot at once and stops generating', async () => {
    const m = fakeModel(64, 4);
    const s = new Scheduler(m, { slots: 1, context: 100_000, maxQueue: 1, limit: 64 });
    const ac = new AbortController();
    const it = s.submit(job([1, 2], 99_000, { signal: ac.signal }));
    const waiting = collect(s.submit(job([3], 2)));
    const first = await it.next();
    expect(typeof first.value).toBe('number');
    await new Promise((r) => setTimeout(r, 0)); // a disconnect arrives as I/O, between two steps
    ac.abort();
    expect(s.queued).toBe(0); // the waiting request took the slot before the next token
    const evalsAtAbort = m.evals.length;
    const rest = await collect(it);
    expect(rest.end.finish).toBe('cancelled');
    expect((await waiting).ids).toEqual(expectedGreedy([3], 2));
    expect(m.evals.length - evalsAtAbort).toBe(2); // the other request's prefill and one decode
  });

  test('an abort during a forward pass in flight ends the request right after it', async () => {
    const gate = new Gate(), m = fakeModel(64, 4, 0, gate);
    const s = new Scheduler(m, { slots: 1, context: 64, maxQueue: 0, limit: 64 });
    const ac = new AbortController();
    const it = s.submit(job([1, 2], 1000, { signal: ac.signal }));
    await gate.step(); // the prompt → the first token
    expect((await it.next()).value).toBe(expectedGreedy([1, 2], 1)[0]);
    await gate.waiting(); // inside the next forward pass
    ac.abort();
    expect(s.busy).toBe(1); // the pass in flight still holds the slot
    await gate.step();
    const rest = await collect(it);
    expect(rest.end.finish).toBe('cancelled');
    expect(rest.ids.length).toBe(0); // the pass in flight's token is not sampled
    expect(m.evals.length).toBe(2);
    expect(s.busy).toBe(0);
  });

  test('a consumer that stops reading cancels its request; queued aborts leave the queue', async () => {
    const s = new Scheduler(fakeModel(64, 4, 1), { slots: 1, context: 64, maxQueue: 2, limit: 64 });
    const it = s.submit(job([1], 1000));
    const ac = new AbortController();
    const queued = s.submit(job([2], 5, { signal: ac.signal }));
    ac.abort();
    expect(s.queued).toBe(0);
    expect((await collect(queued)).end.finish).toBe('cancelled');
    for await (const e of it) if (typeof e === 'number') break;
    expect(s.busy).toBe(0);
    expect(s.stats.finished.cancelled).toBe(2);
  });

  test('a new request reuses the longest cached prefix of a free slot', async () => {
    const m = fakeModel(64, 8);
    const s = new Scheduler(m, { slots: 2, context: 64, maxQueue: 0, limit: 64 });
    const a = [1, 2, 3, 4, 5, 6], b = [9, 9, 9, 9];
    await collect(s.submit(job(a, 3)));
    await collect(s.submit(job(b, 3)));
    const r = await collect(s.submit(job([...a, ...expectedGreedy(a, 2), 7], 2)));
    expect(r.end.usage.cachedTokens).toBe(8);
    expect(m.evals.at(-2)).toEqual([7]);
    const same = await collect(s.submit(job(b, 3)));
    expect(same.end.usage.cachedTokens).toBe(3); // at least one prompt token is evaluated again
    expect(same.ids).toEqual(expectedGreedy(b, 3));
  });

  test('an engine error ends that request with finish error; the scheduler goes on', async () => {
    const m = fakeModel();
    const bad = { ...m, newSession: (c: number) => { const x = m.newSession(c); let n = 0; return { get position() { return x.position; }, eval: (ids: ArrayLike<number>) => (++n === 3 ? Promise.reject(new Error('boom')) : x.eval(ids, 'last')), rewind: (p: number) => x.rewind(p) }; } };
    const s = new Scheduler(bad, { slots: 1, context: 64, maxQueue: 0, limit: 64 });
    const r = await collect(s.submit(job([1], 10)));
    expect(r.end).toMatchObject({ finish: 'error', error: 'boom' });
    expect((await collect(s.submit(job([1], 2)))).ids).toEqual(expectedGreedy([1], 2));
  });
});
