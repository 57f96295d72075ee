// /v1/responses: OpenAI's Responses API over the chat machinery (chat-job.ts). POST creates a
// response — one JSON object, or with `stream: true` the Responses event stream (named SSE events,
// each with its sequence_number, ending in response.completed, response.incomplete or
// response.failed). Stored responses (responses/store.ts) answer GET, DELETE and input_items, and
// continue as `previous_response_id`; the follow-up's prompt starts with the stored conversation
// token for token, so the prompt cache (generate/prompt-cache.ts) restores its K/V while memory
// allows and only the new input is prefilled.
import type { Context, Hono } from 'hono';
import type { End } from '../../generate/index.ts';
import { startChatJob, type Params } from '../chat-job.ts';
import { asApiError, badRequest } from '../errors.ts';
import type { ModelHost } from '../host.ts';
import { newId } from '../ids.ts';
import { checkEnd, checkModel } from '../request.ts';
import { OutputItems, type StreamEvent } from '../responses/output.ts';
import { notFound, prepare, type UnsupportedTools } from '../responses/request.ts';
import { responseObject, usageObject, type ResponseMeta } from '../responses/response.ts';
import { ResponsesBody } from '../responses/schema.ts';
import type { ResponseStore } from '../responses/store.ts';
import { parseBody } from '../schemas.ts';
import { abortOnDisconnect, streamChunks } from '../stream.ts';

export interface ResponsesOptions { store: ResponseStore; unsupportedTools: UnsupportedTools }

export function registerResponses(app: Hono, host: ModelHost, o: ResponsesOptions, log: (line: string) => void): void {
  app.post('/v1/responses', create(host, o, log));
  app.get('/v1/responses/:id', (c) => c.json(stored(o.store, c.req.param('id')).response));
  app.delete('/v1/responses/:id', (c) => {
    const id = c.req.param('id');
    if (!o.store.delete(id)) throw notFound(id);
    return c.json({ id, object: 'response.deleted', deleted: true });
  });
  app.get('/v1/responses/:id/input_items', (c) => c.json(inputItemsPage(stored(o.store, c.req.param('id')).input, c)));
}

function stored(store: ResponseStore, id: string) {
  const r = store.get(id);
  if (!r) throw notFound(id);
  return r;
}

function create(host: ModelHost, o: ResponsesOptions, log: (line: string) => void) {
  return async function responses(c: Context): Promise<Response> {
    const served = host.ready();
    const raw = await c.req.text();
    const body = parseBody(ResponsesBody, raw);
    const model = checkModel(body.model, served);
    const prepared = prepare(body, o.store, o.unsupportedTools);
    const indexOf = new Map(prepared.tools.map((t) => [t.tool.name as string, t.index]));
    const params: Params = { messages: 'input', format: 'text.format.schema', tool: (_, name) => `tools[${indexOf.get(name)}].parameters` };
    const abort = new AbortController();
    const events = await startChatJob(host, served, prepared.chat, raw.length, abort.signal, { params });
    if (prepared.warnings.length) c.header('Warning', `299 oss-edge ${JSON.stringify(prepared.warnings.join('; '))}`);
    const meta: ResponseMeta = { id: newId('resp_'), createdAt: Math.floor(Date.now() / 1000), model, body, prepared };
    const items = new OutputItems();

    /** The finished response, stored unless `store: false`. */
    const finish = (e: End) => {
      checkEnd(e, c);
      const response = responseObject(meta, items.finish === 'length' ? 'incomplete' : 'completed', items.items, { usage: usageObject(e.usage, items.reasoningTokens) });
      if (body.store !== false && e.finish !== 'cancelled') {
        o.store.put({ response, input: prepared.input, conversation: [...prepared.history, ...prepared.input, ...items.items] });
      }
      return response;
    };

    if (body.stream) {
      return streamChunks(c, 'sse', abort, async (write) => {
        let seq = 0;
        const send = (e: StreamEvent) => write({ type: e.type, sequence_number: seq++, ...e });
        const shell = () => responseObject(meta, 'in_progress', []);
        await send({ type: 'response.created', response: shell() });
        await send({ type: 'response.in_progress', response: shell() });
        try {
          for await (const e of events) {
            if (e.type !== 'end') { for (const ev of items.add(e)) await send(ev); continue; }
            for (const ev of items.close()) await send(ev);
            const response = finish(e);
            await send({ type: response.status === 'incomplete' ? 'response.incomplete' : 'response.completed', response });
          }
        } catch (err) {
          const a = asApiError(err, log);
          await send({ type: 'response.failed', response: responseObject(meta, 'failed', items.items, { error: { code: a.code ?? 'server_error', message: a.message } }) });
        }
      }, log, true);
    }

    abortOnDisconnect(c, abort);
    for await (const e of events) {
      if (e.type !== 'end') { items.add(e); continue; }
      items.close();
      return c.json(finish(e));
    }
    throw new Error('the generation ended without an end event');
  };
}

/** A page of input items: `order` desc (OpenAI's default) or asc, `limit` 1–100 (20), after an item id. */
function inputItemsPage(input: unknown[], c: Context) {
  const q = c.req.query();
  const order = q.order ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw badRequest('order must be asc or desc', 'order');
  const limit = q.limit === undefined ? 20 : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw badRequest('limit must be an integer from 1 to 100', 'limit');
  let list = (order === 'asc' ? input : [...input].reverse()) as Array<{ id: string }>;
  if (q.after !== undefined) {
    const at = list.findIndex((i) => i.id === q.after);
    if (at < 0) throw badRequest(`after: no input item of this response has the id ${JSON.stringify(q.after)}`, 'after');
    list = list.slice(at + 1);
  }
  const data = list.slice(0, limit);
  return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: list.length > limit };
}
