// A Responses request → the chat request this server runs, plus what the response echoes. The
// conversation is the stored one of `previous_response_id` (its input and output; its
// `instructions` are not carried over, as OpenAI documents) followed by this `input`. Tools the
// server cannot run (web_search, file_search, code_interpreter, …) are refused with a 400, or with
// `serve --responses-unsupported-tools ignore` dropped and named in a `Warning` header.
import { ApiError, badRequest } from '../errors.ts';
import type { ChatBody } from '../schemas.ts';
import { chatMessages, inputItems } from './input.ts';
import type { Item } from './items.ts';
import { FunctionTool, type ResponsesBody } from './schema.ts';
import type { ResponseStore } from './store.ts';

export type UnsupportedTools = 'reject' | 'ignore';

export interface Prepared {
  chat: ChatBody;
  /** This request's input items and the conversation before them. */
  input: Item[];
  history: Item[];
  /** The function tools as the response echoes them, with their index in the request. */
  tools: Array<{ index: number; tool: Record<string, unknown> }>;
  toolChoice: unknown;
  warnings: string[];
}

export function prepare(body: ResponsesBody, store: ResponseStore, unsupported: UnsupportedTools): Prepared {
  const history = body.previous_response_id ? previous(body.previous_response_id, store).conversation : [];
  if (body.input == null) throw badRequest('input is required: a string or an array of input items', 'input', 'missing_required_parameter');
  const input = inputItems(body.input, (id) => store.item(id));
  const messages = chatMessages([...history, ...input]);
  if (!messages.length) throw badRequest('input holds no message', 'input', 'invalid_input');
  const warnings: string[] = [];
  const tools: Prepared['tools'] = [];
  const skipped = new Set<string>();
  (body.tools ?? []).forEach((t, index) => {
    if (t.type !== 'function') {
      if (unsupported === 'reject') {
        throw badRequest(`tools[${index}]: the \`${t.type}\` tool cannot run on this server, which runs function tools only `
          + '(serve --responses-unsupported-tools ignore drops such tools with a warning instead)', `tools[${index}].type`, 'unsupported_tool');
      }
      skipped.add(t.type);
      return;
    }
    const r = FunctionTool.safeParse(t);
    if (!r.success) {
      const issue = r.error.issues[0];
      const param = `tools[${index}]${issue.path.map((p) => `.${String(p)}`).join('')}`;
      throw badRequest(`${param}: ${issue.message}`, param, 'invalid_request');
    }
    const f = r.data;
    tools.push({ index, tool: { type: 'function', name: f.name, description: f.description ?? null, parameters: f.parameters ?? null, strict: f.strict ?? true } });
  });
  if (skipped.size) warnings.push(`tools the server cannot run were ignored: ${[...skipped].join(', ')}`);
  const choice = toolChoice(body.tool_choice, skipped, warnings);
  const effort = body.reasoning?.effort;
  const format = body.text?.format;
  const chat = {
    messages,
    instructions: body.instructions ?? null,
    tools: tools.map(({ tool: t }) => ({ type: 'function' as const, function: { name: t.name as string, description: t.description as string | null, parameters: t.parameters as Record<string, unknown> | null } })),
    tool_choice: choice.chat,
    parallel_tool_calls: body.parallel_tool_calls ?? null,
    reasoning_effort: effort === 'none' || effort === 'minimal' ? 'low' : (effort ?? null),
    // effort `none`: no reasoning at all (the budget closes the analysis channel before it opens)
    reasoning_budget: body.reasoning_budget ?? (effort === 'none' ? 0 : null),
    response_format: format?.type === 'json_schema'
      ? { type: 'json_schema' as const, json_schema: { name: format.name, description: format.description ?? null, schema: format.schema } }
      : (format ?? null),
    max_completion_tokens: body.max_output_tokens ?? null,
    temperature: body.temperature ?? null,
    top_p: body.top_p ?? null,
    seed: body.seed ?? null,
    user: body.user ?? null,
  } as ChatBody;
  return { chat, input, history, tools, toolChoice: choice.echo, warnings };
}

function previous(id: string, store: ResponseStore) {
  const r = store.get(id);
  if (!r) throw notFound(id, 'previous_response_id');
  return r;
}

/** OpenAI's answer for a response id it does not have. */
export function notFound(id: string, param: string | null = null): ApiError {
  return new ApiError(404, `Response with id '${id}' not found (never stored, deleted, or expired).`, 'invalid_request_error', param, 'response_not_found');
}

/** tool_choice in the chat form, and as the response echoes it. */
function toolChoice(c: ResponsesBody['tool_choice'], skipped: Set<string>, warnings: string[]): { chat: ChatBody['tool_choice']; echo: unknown } {
  if (c == null) return { chat: null, echo: 'auto' };
  if (typeof c === 'string') return { chat: c, echo: c };
  if (c.type === 'function') {
    if (!c.name) throw badRequest('tool_choice: a function choice needs its name', 'tool_choice.name', 'invalid_request');
    return { chat: { type: 'function', function: { name: c.name } }, echo: { type: 'function', name: c.name } };
  }
  if (skipped.has(c.type)) {
    warnings.push(`tool_choice ${c.type} was ignored with its tool`);
    return { chat: null, echo: 'auto' };
  }
  throw badRequest(`tool_choice: ${JSON.stringify(c.type)} is not a choice this server can make (auto, none, required, or {"type": "function", "name": …})`, 'tool_choice', 'invalid_request');
}
