// POST /v1/chat/completions: OpenAI chat messages → harmony prompt → generation → reasoning,
// content and tool calls, streamed (SSE or msgpack) or as one chat.completion.
import type { Context } from 'hono';
import { chatOutput, chatStopIds, type ChatEvent } from '../../generate/index.ts';
import { ChatChunks, ChatMessageBuilder } from '../chat-chunks.ts';
import { badRequest } from '../errors.ts';
import type { ModelHost } from '../host.ts';
import { asRenderError, chatTextBytes, promptsFor, refuseIfCannotFit } from '../prompts.ts';
import { checkEnd, checkModel, newId, samplingOf, stopsOf, submit } from '../request.ts';
import { ChatBody, parseBody } from '../schemas.ts';
import { abortOnDisconnect, framingOf, streamChunks } from '../stream.ts';

export function chatCompletions(host: ModelHost, log: (line: string) => void) {
  return async function chatCompletions(c: Context): Promise<Response> {
    const served = host.ready();
    const raw = await c.req.text();
    const body = parseBody(ChatBody, raw);
    checkModel(body.model, served);
    if (body.top_logprobs != null && !body.logprobs) throw badRequest('top_logprobs needs logprobs: true', 'top_logprobs');
    const tok = served.model.tokenizer;
    const request = withToolChoice(body);
    refuseIfCannotFit(chatTextBytes(request), tok, served.model.context, 'messages');
    const prompt = await promptsFor(tok).chat(request, raw.length, served.model.context).catch((e) => { throw asRenderError(e); });
    const logprobs = body.logprobs ? (body.top_logprobs ?? 0) : undefined;
    const abort = new AbortController();
    const gen = submit(served, {
      prompt, maxTokens: body.max_completion_tokens ?? body.max_tokens ?? Infinity, sampling: samplingOf(body, served, logprobs),
      stopIds: chatStopIds(tok), signal: abort.signal, output: chatOutput(tok, stopsOf(body.stop), () => newId('call_')),
    }, 'messages');
    const meta = { id: newId('chatcmpl-'), created: Math.floor(Date.now() / 1000), model: served.model.id };

    if (body.stream) {
      const includeUsage = body.stream_options?.include_usage === true;
      const chunks = new ChatChunks(meta, includeUsage);
      return streamChunks(c, framingOf(c.req.header('accept')), abort, async (send) => {
        await send(chunks.first());
        let reasoningTokens = 0;
        for await (const e of gen) {
          if (e.type !== 'end') {
            if (e.type === 'finish') reasoningTokens = e.reasoningTokens;
            await send(chunks.event(e));
            continue;
          }
          checkEnd(e);
          if (includeUsage && e.finish !== 'cancelled') await send(chunks.usage(e.usage, reasoningTokens));
        }
      }, log);
    }

    abortOnDisconnect(c, abort);
    const message = new ChatMessageBuilder();
    for await (const e of gen) {
      if (e.type !== 'end') { message.add(e as ChatEvent); continue; }
      checkEnd(e);
      return c.json(message.response(meta, e.usage, logprobs !== undefined));
    }
    throw new Error('the generation ended without an end event');
  };
}

/**
 * tool_choice: `none` renders no tools; a named function renders only that one. `required` (and a
 * named choice) cannot be enforced without constrained decoding: the model is told, not forced.
 */
function withToolChoice(body: ChatBody): ChatBody {
  const choice = body.tool_choice;
  if (choice === 'none') return { ...body, tools: null };
  if (choice && typeof choice === 'object') {
    const tools = (body.tools ?? []).filter((t) => t.function.name === choice.function.name);
    if (!tools.length) throw badRequest(`tool_choice names the function \`${choice.function.name}\`, which is not in tools`, 'tool_choice');
    return { ...body, tools };
  }
  return body;
}
