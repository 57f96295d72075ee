// The prompt worker (src/server/prompts.ts): large requests are rendered and tokenized in a worker
// thread with a tokenizer rebuilt from its recipe; the ids must equal the inline rendering exactly,
// for the built-in o200k_harmony and for a checkpoint's own BPE (golden tiny-a). Errors come back
// as the same kinds (HarmonyError → 400 invalid_messages), and a prompt over the context is
// refused from its length.
import { afterAll, describe, expect, test } from 'bun:test';
import { chatToHarmony, HarmonyError, renderForCompletion, type ChatRequest } from '../src/harmony/index.ts';
import { ApiError } from '../src/server/errors.ts';
import { asRenderError, INLINE_BYTES, PromptTokenizer } from '../src/server/prompts.ts';
import { o200kHarmony, type Tokenizer } from '../src/tokenizer/index.ts';
import { tinyTokenizer } from './fixtures/tokenizer/tiny.ts';

const opened: PromptTokenizer[] = [];
afterAll(() => { for (const p of opened) p.close(); });

const big = 'The quick brown fox, 日本語 and 👍🏽 — '.repeat(2000);
const request: ChatRequest = {
  messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: big }],
  tools: [{ type: 'function', function: { name: 'f', description: 'd'.repeat(3000), parameters: { type: 'object', properties: { a: { type: 'string' } } } } }],
} as ChatRequest;

describe.each([['o200k_harmony', () => o200kHarmony()], ['tiny-a BPE', () => tinyTokenizer()]] as Array<[string, () => Tokenizer]>)('%s', (_, make) => {
  const tok = make();
  const p = new PromptTokenizer(tok);
  opened.push(p);

  test('a large chat request renders in the worker to exactly the inline ids', async () => {
    const bytes = JSON.stringify(request).length;
    expect(bytes).toBeGreaterThan(INLINE_BYTES);
    expect(p.running).toBe(false);
    const ids = await p.chat(request, bytes, 1e9);
    expect(p.running).toBe(true); // it did go to the worker
    expect(ids).toEqual(renderForCompletion(tok, chatToHarmony(request)));
  }, 60_000);

  test('large text encodes in the worker to exactly tok.encode', async () => {
    expect(await p.text(big, big.length * 3, 1e9)).toEqual(tok.encode(big));
  }, 60_000);

  test('errors keep their kind: a bad conversation is a 400 naming messages; too long a prompt, a 400 naming the param', async () => {
    const bad = { ...request, messages: [...request.messages, { role: 'tool', tool_call_id: 'nope', content: 'x' }] } as ChatRequest;
    const e = await p.chat(bad, 1e6, 1e9).catch((err) => err);
    expect(e).toBeInstanceOf(HarmonyError);
    expect(asRenderError(e)).toMatchObject({ status: 400, code: 'invalid_messages', param: 'messages' });
    const long = await p.text(big, 1e6, 100).catch((err) => asRenderError(err, 'prompt'));
    expect(long).toBeInstanceOf(ApiError);
    expect(long).toMatchObject({ status: 400, code: 'context_length_exceeded', param: 'prompt' });
    expect((long as ApiError).message).toMatch(/^the prompt has \d+ tokens; the context is 100 /);
  }, 60_000);
});
