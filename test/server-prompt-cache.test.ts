// A three-turn conversation interleaved with other requests on a one-slot server: each returning
// turn restores the conversation's K/V from the prompt cache and prefills only its new tail, and
// reports exactly that in usage.prompt_tokens_details.cached_tokens. Without the cache the other
// requests overwrite the slot and nothing is reused.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { chatStopIds, type LoadedModel } from '../src/generate/index.ts';
import { commonPrefix } from '../src/generate/prompt-cache.ts';
import { renderChat, type ChatRequest } from '../src/harmony/index.ts';
import type { RunningServer } from '../src/server/start.ts';
import { greedyIds, loadReference, startTestServer } from './helpers/server.ts';

let ref: LoadedModel;
beforeAll(async () => { ref = await loadReference(); });
afterAll(() => ref?.release());

async function chat(url: string, messages: ChatRequest['messages'], max: number) {
  const r = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: 'tiny-a', messages, max_tokens: max, temperature: 0 }),
  });
  expect(r.status).toBe(200);
  return await r.json() as { choices: { message: { content: string | null } }[]; usage: { prompt_tokens: number; prompt_tokens_details: { cached_tokens: number } } };
}

/** The tokens a turn leaves in its slot: its prompt and every generated token but the last. */
async function evaluated(messages: ChatRequest['messages'], max: number): Promise<number[]> {
  const prompt = renderChat(ref.tokenizer, { messages }).ids;
  const ids = await greedyIds(ref, prompt, max, chatStopIds(ref.tokenizer));
  return [...prompt, ...ids.slice(0, -1)];
}

async function conversation(srv: RunningServer): Promise<{ cached: number[]; expected: number[]; promptTokens: number[] }> {
  const msgs: ChatRequest['messages'] = [{ role: 'user', content: 'Tell me a story about a lighthouse keeper and a storm.' }];
  const cached: number[] = [], expected: number[] = [], promptTokens: number[] = [];
  let before: number[] = [];
  for (let turn = 0; turn < 3; turn++) {
    const r = await chat(srv.url, msgs, 24);
    cached.push(r.usage.prompt_tokens_details.cached_tokens);
    promptTokens.push(r.usage.prompt_tokens);
    expected.push(Math.min(commonPrefix(before, renderChat(ref.tokenizer, { messages: msgs }).ids), r.usage.prompt_tokens - 1));
    before = await evaluated(msgs, 24);
    // other conversations take the only slot in between
    await chat(srv.url, [{ role: 'user', content: `An unrelated question number ${turn}, long enough to matter: what is the tallest mountain?` }], 8);
    await chat(srv.url, [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: `Another one, ${turn}.` }], 8);
    msgs.push({ role: 'assistant', content: r.choices[0].message.content ?? '' }, { role: 'user', content: `And then, part ${turn + 2}?` });
  }
  return { cached, expected, promptTokens };
}

describe('prompt cache over HTTP', () => {
  let withCache: Awaited<ReturnType<typeof conversation>>;
  test('one slot, --cache-ram on: turns 2 and 3 reuse everything the conversation shares (exact cached_tokens)', async () => {
    const srv = await startTestServer({ parallel: 1, promptCacheBytes: 256 << 20 });
    try {
      withCache = await conversation(srv);
      const { cached, expected, promptTokens } = withCache;
      console.log(`cached_tokens per turn: ${cached.join(', ')} of ${promptTokens.join(', ')} prompt tokens`);
      expect(cached).toEqual(expected); // the longest prefix shared with what the conversation left in its slot
      expect(cached[0]).toBe(0);
      // turn n+1 re-renders turn n's reply without its analysis (spec §6.8): the reuse ends there
      expect(cached[1]).toBeGreaterThan(0.9 * promptTokens[0]);
      expect(cached[2]).toBeGreaterThan(0.9 * promptTokens[1]);
    } finally {
      await srv.stop();
    }
  });

  test('one slot, --cache-ram 0: the other requests overwrite the slot; only the shared system preamble is reused', async () => {
    const srv = await startTestServer({ parallel: 1, promptCacheBytes: 0 });
    try {
      const { cached } = await conversation(srv);
      for (const t of [1, 2]) expect(cached[t]).toBeLessThan(withCache.cached[t] - 30); // the 144-token system preamble at most
    } finally {
      await srv.stop();
    }
  });
});
