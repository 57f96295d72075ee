// The scheduler's two paths no other test reaches: a session that refuses to rewind to the shared
// prefix (the prompt is evaluated again from position 0), and close() at shutdown with one request
// mid-pass and one queued, and the saved conversations it frees. Scripted engine
// (helpers/server-fake-engine.ts), stepped by a Gate.
import { describe, expect, test } from 'bun:test';
import { Scheduler, type End, type GenerateJob, type LanguageModel, type OutputHandler } from '../src/generate/index.ts';
import { Gate, until } from './helpers/gate.ts';
import { expectedGreedy, fakeModel } from './helpers/server-fake-engine.ts';

const ids: OutputHandler<number> = { token: (t) => ({ events: [t.id] }), end: () => [] };
const job = (prompt: number[], maxTokens: number, signal?: AbortSignal): GenerateJob<number> =>
  ({ prompt, maxTokens, sampling: { temperature: 0 }, stopIds: new Set(), output: ids, signal });

async function collect(it: AsyncIterable<number | End>): Promise<{ ids: number[]; end: End }> {
  const out: number[] = [];
  for await (const e of it) if (typeof e !== 'number') return { ids: out, end: e }; else out.push(e);
  throw new Error('no end event');
}

/** The fake engine, but its sessions refuse every rewind except to 0 (and record each request). */
function refusingRewinds(m: LanguageModel): LanguageModel & { rewinds: [number, boolean][] } {
  const rewinds: [number, boolean][] = [];
  return {
    ...m, rewinds,
    newSession(context) {
      const s = m.newSession(context);
      return {
        get position() { return s.position; },
        eval: (x, mode) => s.eval(x, mode),
        rewind(p) {
          const ok = p === 0 && s.rewind(0);
          rewinds.push([p, ok]);
          return ok;
        },
      };
    },
  };
}

describe('scheduler edges', () => {
  test('a refused rewind: the prompt is evaluated again from 0, nothing counted as cached, the continuation right', async () => {
    const fake = fakeModel(64, 8), m = refusingRewinds(fake);
    const s = new Scheduler(m, { slots: 1, context: 64, maxQueue: 0, limit: 64 });
    const a = [1, 2, 3, 4, 5, 6];
    await collect(s.submit(job(a, 3)));
    const prompt = [...a, ...expectedGreedy(a, 2), 7]; // 8 tokens shared with the slot's cache
    const before = fake.evals.length;
    const r = await collect(s.submit(job(prompt, 2)));
    expect(m.rewinds.at(-2)).toEqual([8, false]); // the shared prefix, refused
    expect(m.rewinds.at(-1)).toEqual([0, true]); //  then from the start
    expect(r.end.usage.cachedTokens).toBe(0);
    expect(s.stats.cachedTokens).toBe(0);
    expect(fake.evals.slice(before, before + 2)).toEqual([prompt.slice(0, 8), prompt.slice(8)]); // the whole prompt, in maxBatch chunks
    expect(r.ids).toEqual(expectedGreedy(prompt, 2));
  });

  test('close(): the request mid-pass ends after its pass, the queued one at once, both cancelled; nothing runs after', async () => {
    const gate = new Gate(), m = fakeModel(64, 4, 0, gate);
    const s = new Scheduler(m, { slots: 1, context: 64, maxQueue: 4, limit: 64 });
    const running = collect(s.submit(job([1, 2], 100)));
    const queued = collect(s.submit(job([3], 100)));
    await gate.step(); // the prompt → token 1
    await gate.waiting(); // token 2's pass in flight
    expect([s.busy, s.queued]).toEqual([1, 1]);
    s.close();
    expect(s.queued).toBe(0);
    const q = await queued;
    expect(q).toEqual({ ids: [], end: expect.objectContaining({ finish: 'cancelled' }) });
    await gate.step(); // the pass in flight ends
    await until(() => s.busy === 0 || gate.holding > 0); // a held pass would be a request still running
    expect(gate.holding).toBe(0);
    const r = await running;
    expect(r.end.finish).toBe('cancelled');
    expect(r.ids).toEqual(expectedGreedy([1, 2], 1));
    expect(m.evals).toEqual([[1, 2], [r.ids[0]]]); // the queued prompt was never evaluated
    expect([s.busy, s.queued, gate.holding]).toEqual([0, 0, 0]);
    expect(s.stats.finished.cancelled).toBe(2);
  });

  test('close() also frees the saved conversations: the prompt cache is emptied and each saved state released', async () => {
    const fake = fakeModel(64, 16, 0);
    let released = 0;
    const m: LanguageModel = {
      ...fake,
      newSession(context) {
        const session = fake.newSession(context), save = session.save.bind(session);
        session.save = () => ({ ...save(), release() { released++; } });
        return session;
      },
    };
    const s = new Scheduler(m, { slots: 1, context: 256, maxQueue: 4, limit: 64, promptCacheBytes: 1 << 20 });
    await collect(s.submit(job(Array.from({ length: 40 }, (_, i) => (i * 3) % 64), 2)));
    await collect(s.submit(job(Array.from({ length: 40 }, (_, i) => (i * 11 + 1) % 64), 2))); // takes the only slot: the first is saved aside
    expect([s.promptCache!.size, released]).toEqual([1, 0]);
    expect(s.promptCache!.bytes).toBeGreaterThan(0);
    s.close();
    expect([s.promptCache!.size, s.promptCache!.bytes, released]).toEqual([0, 0, 1]);
  });
});
