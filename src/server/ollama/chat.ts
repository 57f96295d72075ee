// POST /api/chat (Ollama): messages → the shared chat path (chat-job.ts) → NDJSON lines of
// {message: {role, content, thinking?, tool_calls?}, done: false}, then the final done object with
// done_reason and the timings; `stream: false` answers with one object. No messages at all is
// Ollama's "load the model" request: answered at once with done_reason "load".
import type { Context } from 'hono';
import type { ChatEvent, End } from '../../generate/index.ts';
import { startChatJob } from '../chat-job.ts';
import type { ModelHost } from '../host.ts';
import { checkEnd } from '../request.ts';
import { checkBody, ChatBody, parseBody } from '../schemas.ts';
import { abortOnDisconnect } from '../stream.ts';
import { chatMessages, chatTools, formatField, optionFields, thinkFields } from './convert.ts';
import { ollamaModel } from './errors.ts';
import { streamNdjson } from './ndjson.ts';
import { ReplyPieces, type Piece } from './pieces.ts';
import { ChatRequest } from './schemas.ts';
import { doneReason, Timing } from './timing.ts';

export function ollamaChat(host: ModelHost, log: (line: string) => void) {
  return async function ollamaChat(c: Context): Promise<Response> {
    const timing = new Timing();
    const served = host.ready();
    const raw = await c.req.text();
    const req = parseBody(ChatRequest, raw);
    const model = ollamaModel(req.model, served);
    const head = () => ({ model, created_at: new Date().toISOString() });
    if (!req.messages?.length) return c.json({ ...head(), message: { role: 'assistant', content: '' }, done_reason: 'load', done: true });
    const body = checkBody(ChatBody, {
      messages: chatMessages(req.messages), tools: chatTools(req.tools),
      ...thinkFields(req.think), ...formatField(req.format), ...optionFields(req.options),
    });
    const abort = new AbortController();
    const events = await startChatJob(host, served, body, raw.length, abort.signal, { onToken: timing.token });
    timing.submit();
    const message = (p: Piece) => ({ role: 'assistant', ...p });

    if (req.stream !== false) {
      return streamNdjson(c, abort, async (send) => {
        const pieces = new ReplyPieces();
        for await (const e of events) {
          if (e.type === 'end') {
            if (e.finish !== 'cancelled') await send(final(c, e, pieces, timing, head(), { role: 'assistant', content: '' }));
            return;
          }
          const p = pieces.add(e as ChatEvent);
          if (p) await send({ ...head(), message: message(p), done: false });
        }
      }, log);
    }
    abortOnDisconnect(c, abort);
    const pieces = new ReplyPieces();
    for await (const e of events) {
      if (e.type !== 'end') { pieces.add(e as ChatEvent); continue; }
      return c.json(final(c, e, pieces, timing, head(), message(pieces.whole())));
    }
    throw new Error('the generation ended without an end event');
  };
}

/** The last object: the message (empty when streamed), done_reason and the statistics. */
function final(c: Context, e: End, pieces: ReplyPieces, timing: Timing, head: object, message: object) {
  checkEnd(e, c);
  return { ...head, message, done_reason: doneReason(e.finish === 'length' ? 'length' : pieces.finish), done: true, ...timing.final(e.usage) };
}
