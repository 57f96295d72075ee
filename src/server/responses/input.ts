// Responses input → items (checked, normalized, ids given) → chat messages for the harmony renderer.
// An input is a string (one user message) or items: messages (user, system, developer, assistant;
// text parts only), function_call, function_call_output, reasoning, and item_reference to an item
// this server stored. Reasoning before an assistant's text or calls becomes that turn's analysis;
// the chat renderer drops it once the turn has its final answer, as on /v1/chat/completions.
import { z } from 'zod';
import { ToolName, type ChatMessage } from '../../harmony/index.ts';
import { badRequest } from '../errors.ts';
import { newId } from '../ids.ts';
import { ID_PREFIX, messageText, reasoningText, type FunctionCallItem, type Item, type TextPart } from './items.ts';

const Part = z.looseObject({ type: z.string(), text: z.string().nullish(), refusal: z.string().nullish() });
const Content = z.union([z.string(), z.array(Part)]);
const SHAPES = {
  message: z.looseObject({ role: z.enum(['user', 'system', 'developer', 'assistant']), content: Content, id: z.string().nullish() }),
  function_call: z.looseObject({ call_id: z.string().min(1), name: ToolName, arguments: z.string(), id: z.string().nullish() }),
  function_call_output: z.looseObject({ call_id: z.string().min(1), output: Content, id: z.string().nullish() }),
  reasoning: z.looseObject({ summary: z.array(Part).nullish(), content: z.array(Part).nullish(), id: z.string().nullish() }),
  item_reference: z.looseObject({ id: z.string() }),
} as const;

const TEXT_PARTS = new Set(['input_text', 'output_text', 'text', 'summary_text', 'reasoning_text']);

/** `input` as items; `lookup` finds a stored item for an item_reference (null: unknown). */
export function inputItems(input: string | Record<string, unknown>[], lookup: (id: string) => Item | null): Item[] {
  if (typeof input === 'string') return [{ id: newId(ID_PREFIX.message), type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text: input }] }];
  return input.map((raw, i) => item(raw, `input[${i}]`, lookup));
}

function item(raw: Record<string, unknown>, at: string, lookup: (id: string) => Item | null): Item {
  const type = raw.type ?? 'message';
  if (typeof type !== 'string' || !(type in SHAPES)) {
    throw badRequest(`${at}.type: ${JSON.stringify(type)} is not an input item this server takes (message, function_call, function_call_output, reasoning, item_reference)`, `${at}.type`, 'invalid_input');
  }
  const r = SHAPES[type as keyof typeof SHAPES].safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const param = [at, ...issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))].join('').replace(/\.\[/g, '[');
    throw badRequest(`${param}: ${issue.message}`, param, 'invalid_input');
  }
  const d = r.data as Record<string, unknown>;
  const id = (d.id as string | null | undefined) || newId(ID_PREFIX[type as Item['type']] ?? 'item_');
  switch (type) {
    case 'message': {
      const role = d.role as 'user' | 'system' | 'developer' | 'assistant';
      return { id, type, role, status: 'completed', content: parts(d.content as z.infer<typeof Content>, `${at}.content`, role === 'assistant' ? 'output_text' : 'input_text') };
    }
    case 'function_call':
      return { id, type, status: 'completed', call_id: d.call_id as string, name: d.name as string, arguments: d.arguments as string };
    case 'function_call_output':
      return { id, type, status: 'completed', call_id: d.call_id as string, output: parts(d.output as z.infer<typeof Content>, `${at}.output`, 'input_text').map((p) => p.text).join('\n') };
    case 'reasoning': {
      const text = (list: z.infer<typeof Part>[] | null | undefined) => (list ?? []).map((p) => p.text ?? '');
      return {
        id, type, summary: text(d.summary as never).map((t) => ({ type: 'summary_text', text: t })),
        content: text(d.content as never).map((t) => ({ type: 'reasoning_text', text: t })),
      };
    }
    default: { // item_reference
      const found = lookup(d.id as string);
      if (!found) throw badRequest(`${at}: no stored item has the id ${JSON.stringify(d.id)} (stored responses expire, and store: false keeps none)`, `${at}.id`, 'item_not_found');
      return found;
    }
  }
}

function parts(c: string | z.infer<typeof Part>[], at: string, type: TextPart['type']): TextPart[] {
  if (typeof c === 'string') return [{ type, text: c }];
  return c.map((p, i) => {
    if (p.type === 'refusal') return { type: 'refusal', text: p.refusal ?? p.text ?? '' };
    if (!TEXT_PARTS.has(p.type) || typeof p.text !== 'string') {
      throw badRequest(`${at}[${i}]: only text content is supported (input_text, output_text), got ${JSON.stringify(p.type)}`, `${at}[${i}].type`, 'invalid_input');
    }
    return { type: p.type === 'output_text' ? 'output_text' : type, text: p.text };
  });
}

type Assistant = Extract<ChatMessage, { role: 'assistant' }>;

/** Items → chat messages: one assistant message per run of reasoning, text and calls. */
export function chatMessages(items: readonly Item[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  let turn: Assistant | null = null;
  const assistant = (): Assistant => {
    if (!turn) out.push((turn = { role: 'assistant', content: '' }));
    return turn;
  };
  for (const it of items) {
    if (it.type === 'reasoning') {
      if (turn?.content || turn?.tool_calls?.length) turn = null; // reasoning after text or calls starts the next message
      const t = assistant();
      t.reasoning_content = [t.reasoning_content, reasoningText(it)].filter(Boolean).join('\n');
    } else if (it.type === 'function_call') {
      const t = assistant();
      t.tool_calls = [...(t.tool_calls ?? []), call(it)];
    } else if (it.type === 'message' && it.role === 'assistant') {
      if (turn?.content || turn?.tool_calls?.length) turn = null;
      assistant().content = messageText(it);
    } else {
      turn = null;
      if (it.type === 'message') out.push({ role: it.role, content: messageText(it) });
      else out.push({ role: 'tool', tool_call_id: it.call_id, content: it.output });
    }
  }
  return out;
}

function call(it: FunctionCallItem) {
  return { id: it.call_id, type: 'function' as const, function: { name: it.name, arguments: it.arguments } };
}
