// POST /v1/chat/completions: OpenAI chat messages → harmony prompt → generation → reasoning,
// content and tool calls, streamed (SSE or msgpack) or as one chat.completion. What the output must
// be — response_format, tool_choice, reasoning_budget — is enforced during decoding
// (generate/constrain), not only asked of the model.
import type { Context } from 'hono';
import { chatOutput, chatStopIds, GrammarError, outputConstraint, type ChatEvent, type Constraint, type OutputRequest } from '../../generate/index.ts';
import { ChatChunks, ChatMessageBuilder } from '../chat-chunks.ts';
import { badRequest } from '../errors.ts';
import type { ModelHost, Served } from '../host.ts';
import { asRenderError, chatTextBytes, promptsFor, refuseIfCannotFit } from '../prompts.ts';
import { checkEnd, checkModel, newId, samplingOf, stopsOf, submit } from '../request.ts';
import { ChatBody, parseBody } from '../schemas.ts';
import { abortOnDisconnect, framingOf, streamChunks } from '../stream.ts';

export function chatCompletions(host: ModelHost, log: (line: string) => void) {
  return async function chatCompletions(c: Context): Promise<Response> {
    const served = host.ready();
    const raw = await c.req.text();
    const body = parseBody(ChatBody, raw);
    const model = checkModel(body.model, served);
    if (body.top_logprobs != null && !body.logprobs) throw badRequest('top_logprobs needs logprobs: true', 'top_logprobs');
    const tok = served.model.tokenizer;
    const request = withToolChoice(body);
    refuseIfCannotFit(chatTextBytes(request), tok, served.model.context, 'messages');
    const prompt = await promptsFor(tok).chat(request, raw.length, served.model.context).catch((e) => { throw asRenderError(e); });
    const constraint = await constraintOf(body, served, host.o.reasoningBudget ?? -1);
    const logprobs = body.logprobs ? (body.top_logprobs ?? 0) : undefined;
    const abort = new AbortController();
    let gen;
    try {
      gen = submit(served, {
        prompt, maxTokens: body.max_completion_tokens ?? body.max_tokens ?? Infinity, sampling: samplingOf(body, served, logprobs),
        stopIds: chatStopIds(tok), signal: abort.signal, output: chatOutput(tok, stopsOf(body.stop), () => newId('call_')), constraint,
      }, 'messages');
    } catch (e) {
      constraint?.close();
      throw e;
    }
    const meta = { id: newId('chatcmpl-', c), created: Math.floor(Date.now() / 1000), model };

    if (body.stream) {
      const includeUsage = body.stream_options?.include_usage === true;
      const chunks = new ChatChunks(meta, includeUsage);
      return streamChunks(c, framingOf(c.req.header('accept')), abort, async (send) => {
        await send(chunks.first());
        let finish: Extract<ChatEvent, { type: 'finish' }> | null = null; // sent with the usage, once known
        for await (const e of gen) {
          if (e.type === 'finish') { finish = e; continue; }
          if (e.type !== 'end') { await send(chunks.event(e)); continue; }
          checkEnd(e);
          if (finish) await send(chunks.finish(finish, e.usage));
          if (includeUsage && e.finish !== 'cancelled') await send(chunks.usage(e.usage, finish?.reasoningTokens ?? 0));
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
 * tool_choice: `none` renders no tools (and the constraint forbids a call); a named function renders
 * only that one. `required` and a named function need tools to choose from.
 */
function withToolChoice(body: ChatBody): ChatBody {
  const choice = body.tool_choice;
  if ((choice === 'required' || typeof choice === 'object') && !body.tools?.length) {
    throw badRequest(`tool_choice ${JSON.stringify(choice)} needs tools to choose from`, 'tool_choice');
  }
  if (choice === 'none') return { ...body, tools: null };
  if (choice && typeof choice === 'object') {
    const tools = (body.tools ?? []).filter((t) => t.function.name === choice.function.name);
    if (!tools.length) throw badRequest(`tool_choice names the function \`${choice.function.name}\`, which is not in tools`, 'tool_choice');
    return { ...body, tools };
  }
  return body;
}

/** The request's output constraints (null when it has none); a schema that cannot be enforced is a 400. */
async function constraintOf(body: ChatBody, served: Served, defaultBudget: number): Promise<Constraint | null> {
  const rf = body.response_format;
  const choice = body.tool_choice;
  const tools = body.tools ?? [];
  const request: OutputRequest = {
    reasoningBudget: body.reasoning_budget ?? defaultBudget,
    format: rf?.type === 'json_schema' ? { type: 'json_schema', schema: rf.json_schema.schema ?? null } : rf ? { type: rf.type } : null,
    tools: tools.map((t) => ({ name: t.function.name, parameters: t.function.parameters ?? null })),
    toolChoice: choice && typeof choice === 'object' ? { name: choice.function.name } : choice,
  };
  try {
    return await outputConstraint(served.model.tokenizer, request);
  } catch (e) {
    if (!(e instanceof GrammarError)) throw e;
    const s = e.source;
    const param = s === 'format' ? 'response_format.json_schema.schema' : s === 'tool_choice' ? 'tool_choice'
      : `tools[${tools.findIndex((t) => t.function.name === s.tool)}].function.parameters`;
    throw badRequest(e.message, param, 'invalid_schema');
  }
}
