// A chat request, from its checked body to a running generation: tool_choice applied to the tools
// rendered, the harmony prompt, the output constraint (response_format, tool_choice, reasoning
// budget) and the job submitted. /v1/chat/completions and /v1/responses both come through here,
// each with its own field names for the errors (`Params`).
import { chatOutput, chatStopIds, GrammarError, outputConstraint, type ChatEvent, type Constraint, type End, type OutputRequest } from '../generate/index.ts';
import { badRequest } from './errors.ts';
import type { ModelHost, Served } from './host.ts';
import { newId } from './ids.ts';
import { asRenderError, chatTextBytes, promptsFor, refuseIfCannotFit } from './prompts.ts';
import { samplingOf, stopsOf, submit } from './request.ts';
import type { ChatBody } from './schemas.ts';

/** Where each part of the request is in the client's body (the `param` of a 400). */
export interface Params {
  messages: string;
  format: string;
  /** The parameters of the tool at `index` of the rendered tools, named `name`. */
  tool: (index: number, name: string) => string;
}

export const CHAT_PARAMS: Params = {
  messages: 'messages',
  format: 'response_format.json_schema.schema',
  tool: (index) => `tools[${index}].function.parameters`,
};

export interface ChatJob {
  events: AsyncIterableIterator<ChatEvent | End>;
  abort: AbortController;
}

/** Renders and submits `body`; `bytes`: the size of the request body (bounds the rendering work). */
export async function startChatJob(host: ModelHost, served: Served, body: ChatBody, bytes: number, params: Params = CHAT_PARAMS, logprobs?: number): Promise<ChatJob> {
  const tok = served.model.tokenizer;
  const request = withToolChoice(body);
  refuseIfCannotFit(chatTextBytes(request), tok, served.model.context, params.messages);
  const prompt = await promptsFor(tok).chat(request, bytes, served.model.context).catch((e) => { throw asRenderError(e, params.messages); });
  const constraint = await constraintOf(body, served, host.o.reasoningBudget ?? -1, params);
  const abort = new AbortController();
  try {
    const events = submit(served, {
      prompt, maxTokens: body.max_completion_tokens ?? body.max_tokens ?? Infinity, sampling: samplingOf(body, served, logprobs),
      stopIds: chatStopIds(tok), signal: abort.signal, output: chatOutput(tok, stopsOf(body.stop), () => newId('call_')), constraint,
    }, params.messages);
    return { events, abort };
  } catch (e) {
    constraint?.close();
    throw e;
  }
}

/**
 * tool_choice: `none` renders no tools (and the constraint forbids a call); a named function renders
 * only that one. `required` and a named function need tools to choose from.
 */
function withToolChoice(body: ChatBody): ChatBody {
  const choice = body.tool_choice;
  if ((choice === 'required' || (choice && typeof choice === 'object')) && !body.tools?.length) {
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
async function constraintOf(body: ChatBody, served: Served, defaultBudget: number, params: Params): Promise<Constraint | null> {
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
    throw badRequest(e.message, s === 'format' ? params.format : s === 'tool_choice' ? 'tool_choice' : params.tool(tools.findIndex((t) => t.function.name === s.tool), s.tool), 'invalid_schema');
  }
}
