// POST /api/generate (Ollama): a prompt (and `system`) rendered with the model's own chat format,
// harmony, as Ollama renders gpt-oss's template — or, with `raw: true`, continued as plain text.
// NDJSON lines of {response, thinking?, done: false}, then the final done object. `template` is
// ignored (the harmony format is fixed); `suffix` (fill-in-the-middle) and images are refused;
// `context` (token ids of an earlier raw exchange) is continued in raw mode and refused otherwise,
// where a rendered prompt cannot follow it. An empty prompt is Ollama's "load the model" request.
import type { Context } from 'hono';
import { textOutput, type ChatEvent, type End, type TextEvent } from '../../generate/index.ts';
import { startChatJob, watched } from '../chat-job.ts';
import { badRequest } from '../errors.ts';
import type { ModelHost, Served } from '../host.ts';
import { utf8Length } from '../json-scan.ts';
import { asRenderError, promptsFor, refuseIfCannotFit } from '../prompts.ts';
import { checkEnd, samplingOf, stopsOf, submit } from '../request.ts';
import { checkBody, ChatBody, parseBody } from '../schemas.ts';
import { abortOnDisconnect } from '../stream.ts';
import { formatField, optionFields, refuseImages, thinkFields } from './convert.ts';
import { ollamaModel } from './errors.ts';
import { streamNdjson } from './ndjson.ts';
import { ReplyPieces } from './pieces.ts';
import { GenerateRequest } from './schemas.ts';
import { doneReason, Timing } from './timing.ts';

type Event = ChatEvent | TextEvent | End;

export function ollamaGenerate(host: ModelHost, log: (line: string) => void) {
  return async function ollamaGenerate(c: Context): Promise<Response> {
    const timing = new Timing();
    const served = host.ready();
    const raw = await c.req.text();
    const req = parseBody(GenerateRequest, raw);
    const model = ollamaModel(req.model, served);
    const head = () => ({ model, created_at: new Date().toISOString() });
    if (req.suffix) throw badRequest('suffix: fill-in-the-middle is not supported by gpt-oss', 'suffix', 'suffix_unsupported');
    refuseImages(req.images, 'images');
    if (!req.prompt && !req.context?.length) return c.json({ ...head(), response: '', done_reason: 'load', done: true });
    const abort = new AbortController();
    const events: AsyncIterableIterator<Event> = req.raw
      ? await rawJob(served, req, abort.signal, timing)
      : await startChatJob(host, served, chatBody(req), raw.length, abort.signal, { onToken: timing.token });
    timing.submit();

    if (req.stream !== false) {
      return streamNdjson(c, abort, async (send) => {
        const pieces = new ReplyPieces();
        for await (const e of events) {
          if (e.type === 'end') {
            if (e.finish !== 'cancelled') await send(final(c, e, pieces, timing, head(), ''));
            return;
          }
          const p = e.type === 'text' ? { content: e.text } : pieces.add(e);
          if (p && (p.content || p.thinking)) await send({ ...head(), response: p.content, ...(p.thinking ? { thinking: p.thinking } : {}), done: false });
        }
      }, log);
    }
    abortOnDisconnect(c, abort);
    const pieces = new ReplyPieces();
    for await (const e of events) {
      if (e.type === 'text') pieces.content += e.text;
      else if (e.type !== 'end') pieces.add(e);
      else return c.json(final(c, e, pieces, timing, head(), pieces.content, pieces.thinking));
    }
    throw new Error('the generation ended without an end event');
  };
}

function final(c: Context, e: End, pieces: ReplyPieces, timing: Timing, head: object, response: string, thinking = '') {
  checkEnd(e, c);
  return {
    ...head, response, ...(thinking ? { thinking } : {}),
    done_reason: doneReason(e.finish === 'length' ? 'length' : pieces.finish), done: true, ...timing.final(e.usage),
  };
}

function chatBody(req: GenerateRequest): ChatBody {
  if (req.context?.length) throw badRequest('context: continuing an earlier exchange is supported with raw: true only; send the conversation to /api/chat', 'context');
  const messages = [...(req.system ? [{ role: 'system', content: req.system }] : []), { role: 'user', content: req.prompt ?? '' }];
  return checkBody(ChatBody, { messages, ...thinkFields(req.think), ...formatField(req.format), ...optionFields(req.options) });
}

/** raw: the prompt text (after any `context` ids) continued as plain text, ending on the model's eos or `<|endoftext|>`. */
async function rawJob(served: Served, req: GenerateRequest, signal: AbortSignal, timing: Timing): Promise<AsyncIterableIterator<TextEvent | End>> {
  if (req.format) throw badRequest('format: a constrained answer needs the chat format; leave raw unset', 'format');
  const tok = served.model.tokenizer, context = served.model.context;
  const before = req.context ?? [];
  const bad = before.findIndex((id) => id >= tok.vocabSize);
  if (bad >= 0) throw badRequest(`context: token id ${before[bad]} is outside the vocabulary (0 … ${tok.vocabSize - 1})`, `context[${bad}]`);
  const text = req.prompt ?? '';
  const bytes = utf8Length(text);
  refuseIfCannotFit(bytes, tok, context - before.length, 'prompt');
  const ids = await promptsFor(tok).text(text, bytes, context).catch((e) => { throw asRenderError(e, 'prompt'); });
  const stopIds = new Set([served.model.eosTokenId, tok.special.endoftext].filter((id): id is number => id !== null));
  const o = optionFields(req.options);
  return submit(served, {
    prompt: [...before, ...ids], maxTokens: o.max_tokens ?? Infinity, sampling: samplingOf(o, served, undefined),
    stopIds, signal, output: watched(textOutput(tok, stopsOf(o.stop), stopIds), timing.token),
  }, 'prompt');
}
