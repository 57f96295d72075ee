// POST /v1/chat/completions: OpenAI chat messages → harmony prompt → generation → reasoning,
// content and tool calls, streamed (SSE or msgpack) or as one chat.completion. What the output must
// be — response_format, tool_choice, reasoning_budget — is enforced during decoding
// (generate/constrain, through chat-job.ts), not only asked of the model.
import type { Context } from 'hono';
import type { ChatEvent } from '../../generate/index.ts';
import { ChatChunks, ChatMessageBuilder } from '../chat-chunks.ts';
import { startChatJob } from '../chat-job.ts';
import { badRequest } from '../errors.ts';
import type { ModelHost } from '../host.ts';
import { newId } from '../ids.ts';
import { checkEnd, checkModel } from '../request.ts';
import { ChatBody, parseBody } from '../schemas.ts';
import { abortOnDisconnect, framingOf, streamChunks } from '../stream.ts';

export function chatCompletions(host: ModelHost, log: (line: string) => void) {
  return async function chatCompletions(c: Context): Promise<Response> {
    const served = host.ready();
    const raw = await c.req.text();
    const body = parseBody(ChatBody, raw);
    const model = checkModel(body.model, served);
    if (body.top_logprobs != null && !body.logprobs) throw badRequest('top_logprobs needs logprobs: true', 'top_logprobs');
    const logprobs = body.logprobs ? (body.top_logprobs ?? 0) : undefined;
    const abort = new AbortController();
    const gen = await startChatJob(host, served, body, raw.length, abort.signal, { logprobs });
    const meta = { id: newId('chatcmpl-'), created: Math.floor(Date.now() / 1000), model };

    if (body.stream) {
      const includeUsage = body.stream_options?.include_usage === true;
      const chunks = new ChatChunks(meta, includeUsage);
      return streamChunks(c, framingOf(c.req.header('accept')), abort, async (send) => {
        await send(chunks.first());
        let finish: Extract<ChatEvent, { type: 'finish' }> | null = null; // sent with the usage, once known
        for await (const e of gen) {
          if (e.type === 'finish') { finish = e; continue; }
          if (e.type !== 'end') { await send(chunks.event(e)); continue; }
          checkEnd(e, c);
          if (finish) await send(chunks.finish(finish, e.usage));
          if (includeUsage && e.finish !== 'cancelled') await send(chunks.usage(e.usage, finish?.reasoningTokens ?? 0));
        }
      }, log);
    }

    abortOnDisconnect(c, abort);
    const message = new ChatMessageBuilder();
    for await (const e of gen) {
      if (e.type !== 'end') { message.add(e as ChatEvent); continue; }
      checkEnd(e, c);
      return c.json(message.response(meta, e.usage, logprobs !== undefined));
    }
    throw new Error('the generation ended without an end event');
  };
}
