// A chat request (OpenAI's shape, already checked) → a running generation of ChatEvents: tool_choice
// applied, the prompt rendered (off the event loop when large), the output constraint compiled
// (response_format, tool_choice, reasoning_budget, enforced during decoding) and the job submitted.
// Every chat-shaped API shares it: /v1/chat/completions, /v1/responses, and /api/chat and
// /api/generate (Ollama), which translate their bodies into a ChatBody first (`Params` says where
// each part was in the client's own body, for the `param` of a 400).
import { chatOutput, chatStopIds, GrammarError, outputConstraint, type ChatEvent, type Constraint, type End, type OutputHandler, type OutputRequest } from '../generate/index.ts';
import { badRequest } from './errors.ts';
import type { ModelHost, Served } from './host.ts';
import { asRenderError, chatTextBytes, promptsFor, refuseIfCannotFit } from './prompts.ts';
import { newId } from './ids.ts';
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

export interface ChatJobOptions {
  /** Field names for errors (default: chat completions'). */
  params?: Params;
  /** Top logprobs per token (0: the sampled token's only); absent: none. */
  logprobs?: number;
  /** Called with each sampled token, before its events (Ollama's timings). */
  onToken?: () => void;
}

/** Starts `body`; `bytes`: the size of the request body (it bounds the rendering work). */
export async function startChatJob(host: ModelHost, served: Served, body: ChatBody, bytes: number, signal: AbortSignal,
  { logprobs, onToken, params = CHAT_PARAMS }: ChatJobOptions = {}): Promise<AsyncIterableIterator<ChatEvent | End>> {
  const tok = served.model.tokenizer;
  const request = withToolChoice(body);
  refuseIfCannotFit(chatTextBytes(request), tok, served.model.context, params.messages);
  const prompt = await promptsFor(tok).chat(request, bytes, served.model.context).catch((e) => { throw asRenderError(e, params.messages); });
  const constraint = await constraintOf(body, served, host.o.reasoningBudget ?? -1, params);
  try {
    return submit(served, {
      prompt, maxTokens: body.max_completion_tokens ?? body.max_tokens ?? Infinity, sampling: samplingOf(body, served, logprobs),
      stopIds: chatStopIds(tok), signal, output: watched(chatOutput(tok, stopsOf(body.stop), () => newId('call_')), onToken), constraint,
    }, params.messages);
  } catch (e) {
    constraint?.close();
    throw e;
  }
}

/** `output`, telling `onToken` of each token first. */
export function watched<E>(output: OutputHandler<E>, onToken: (() => void) | undefined): OutputHandler<E> {
  if (!onToken) return output;
  return { token: (t) => { onToken(); return output.token(t); }, end: (f) => output.end(f) };
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
    const param = s === 'format' ? params.format : s === 'tool_choice' ? 'tool_choice'
      : params.tool(tools.findIndex((t) => t.function.name === s.tool), s.tool);
    throw badRequest(e.message, param, 'invalid_schema');
  }
}
