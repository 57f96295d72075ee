// Tool calling through the openai SDK, on a scripted engine that answers in harmony: the call
// (commentary, to=functions.get_weather, <|call|>) becomes tool_calls with finish_reason
// tool_calls; the tool result goes back into the prompt; the final answer becomes content.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import OpenAI from 'openai';
import { JsonGrammars } from '../src/generate/index.ts';
import { loadCheckpoint } from '../src/model/checkpoint.ts';
import { o200kHarmony, tokenizerForCheckpoint, type Tokenizer } from '../src/tokenizer/index.ts';
import { startScriptedServer, TINY } from './helpers/server.ts';

const CALL = '<|channel|>analysis<|message|>Need the weather.<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city":"Paris"}<|call|>';
const ANSWER = '<|channel|>analysis<|message|>The tool says sunny.<|end|><|start|>assistant<|channel|>final<|message|>It is sunny in Paris.<|return|>';
const tools: OpenAI.ChatCompletionTool[] = [{
  type: 'function',
  function: { name: 'get_weather', description: 'Current weather of a city.', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
}];
// Tools are compiled into argument grammars (o200k: ~1 s a schema on a busy 2-core machine).
setDefaultTimeout(30_000);

const ask: OpenAI.ChatCompletionMessageParam = { role: 'user', content: 'Weather in Paris?' };

function tinyTokenizer(): Tokenizer {
  const ckpt = loadCheckpoint(TINY);
  try { return tokenizerForCheckpoint(ckpt); } finally { ckpt.close(); }
}

for (const [vocab, tokenizer] of [['tiny-a byte-level vocab', tinyTokenizer], ['o200k_harmony', o200kHarmony]] as const) {
  describe(`tool calls (${vocab})`, () => {
    let srv: Awaited<ReturnType<typeof startScriptedServer>>, client: OpenAI;
    beforeAll(async () => {
      const tok = tokenizer();
      await JsonGrammars.for(tok); // the vocabulary's grammar tables (~3 s for o200k), once per process
      srv = await startScriptedServer(tok, (prompt) => {
        if (prompt.includes('EXPLODE')) throw new Error('engine exploded');
        return prompt.includes('<|start|>functions.get_weather') ? ANSWER : CALL;
      });
      client = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    }, 60_000);
    afterAll(() => srv?.stop());

    test('a harmony call becomes tool_calls, finish_reason tool_calls, reasoning kept apart', async () => {
      const r = await client.chat.completions.create({ model: 'scripted', messages: [ask], tools });
      const m = r.choices[0].message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
      expect(r.choices[0].finish_reason).toBe('tool_calls');
      expect(m.content).toBeNull();
      expect(m.reasoning_content).toBe('Need the weather.');
      expect(m.tool_calls).toHaveLength(1);
      const call = m.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
      expect(call.id).toMatch(/^call_[0-9a-f]{24}$/);
      expect(call.function).toEqual({ name: 'get_weather', arguments: '{"city":"Paris"}' });
      expect(srv.prompts.at(-1)).toContain('type get_weather = (_: {\ncity: string,\n}) => any;');
    });

    test('streamed: the call opens with id and name, then the arguments stream in', async () => {
      const stream = await client.chat.completions.create({ model: 'scripted', messages: [ask], tools, stream: true });
      const calls: { id?: string; name?: string; args: string }[] = [];
      let finish = null, reasoning = '';
      for await (const c of stream) {
        const d = c.choices[0]?.delta;
        reasoning += (d as { reasoning_content?: string })?.reasoning_content ?? '';
        for (const t of d?.tool_calls ?? []) {
          calls[t.index] ??= { args: '' };
          if (t.id) calls[t.index].id = t.id;
          if (t.function?.name) calls[t.index].name = t.function.name;
          calls[t.index].args += t.function?.arguments ?? '';
        }
        finish = c.choices[0]?.finish_reason ?? finish;
      }
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ name: 'get_weather', args: '{"city":"Paris"}' });
      expect(calls[0].id).toMatch(/^call_/);
      expect(reasoning).toBe('Need the weather.');
      expect(finish).toBe('tool_calls');
    });

    test('round trip: the tool result is rendered back and the final answer is content', async () => {
      const first = await client.chat.completions.create({ model: 'scripted', messages: [ask], tools });
      const call = first.choices[0].message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
      const messages: OpenAI.ChatCompletionMessageParam[] = [
        ask,
        { ...first.choices[0].message, role: 'assistant' } as OpenAI.ChatCompletionMessageParam,
        { role: 'tool', tool_call_id: call.id, content: '{"sunny":true}' },
      ];
      const r = await client.chat.completions.create({ model: 'scripted', messages, tools });
      const m = r.choices[0].message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
      expect(m.content).toBe('It is sunny in Paris.');
      expect(m.reasoning_content).toBe('The tool says sunny.');
      expect(r.choices[0].finish_reason).toBe('stop');
      const prompt = srv.prompts.at(-1)!;
      expect(prompt).toContain('Need the weather.'); // the unfinished turn keeps its analysis
      expect(prompt).toContain('to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{"city":"Paris"}<|call|>');
      expect(prompt).toContain('<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>{"sunny":true}<|end|>');
      expect(prompt.endsWith('<|start|>assistant')).toBe(true);

      const cut = await client.chat.completions.create({ model: 'scripted', messages, tools, stop: ['Paris'] });
      expect(cut.choices[0].message.content).toBe('It is sunny in ');
      expect(cut.choices[0].finish_reason).toBe('stop');
    });

    test('tool_choice: none hides the tools and forbids a call; a named function must exist', async () => {
      // The script still tries the call: the header is steered to analysis or final instead.
      const r = await client.chat.completions.create({ model: 'scripted', messages: [ask], tools, tool_choice: 'none', max_tokens: 40 });
      expect(srv.prompts.at(-1)).not.toContain('get_weather');
      expect(r.choices[0].message.tool_calls ?? []).toHaveLength(0);
      const e = await client.chat.completions.create({ model: 'scripted', messages: [ask], tools, tool_choice: { type: 'function', function: { name: 'nope' } } }).catch((x) => x);
      expect(e).toBeInstanceOf(OpenAI.BadRequestError);
      expect(e.param).toBe('tool_choice');
    });

    test('an engine failure is a 500 (not streamed) or a last error chunk (streamed); the server goes on', async () => {
      const boom: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'EXPLODE' }];
      const e = await client.chat.completions.create({ model: 'scripted', messages: boom }).catch((x) => x);
      expect(e).toBeInstanceOf(OpenAI.InternalServerError);
      expect(e.code).toBe('generation_failed');
      expect(e.message).toContain('engine exploded');
      const streamed = await (async () => {
        for await (const _ of await client.chat.completions.create({ model: 'scripted', messages: boom, stream: true }));
      })().catch((x) => x);
      expect(streamed).toBeInstanceOf(OpenAI.APIError);
      expect(streamed.message).toContain('engine exploded');
      expect((await client.chat.completions.create({ model: 'scripted', messages: [ask], tools })).choices[0].finish_reason).toBe('tool_calls');
    });
  });
}
