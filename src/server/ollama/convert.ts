// Ollama's request fields → the OpenAI chat body the shared chat path runs (chat-job.ts): messages
// (tool calls with object arguments, tool results by `tool_name`), `think` → reasoning, `format` →
// response_format, `options` → sampling. Images are refused: gpt-oss reads text only, and an answer
// that silently ignored a picture would look like the model's mistake.
import { badRequest } from '../errors.ts';
import type { ChatBody } from '../schemas.ts';
import type { ChatRequest, OllamaMessage, OllamaOptions } from './schemas.ts';

type Think = ChatRequest['think'];
type Format = ChatRequest['format'];

/**
 * `think`: false skips reasoning (a budget of 0 analysis tokens: gpt-oss always reasons otherwise);
 * "low" | "medium" | "high" is the reasoning effort; true or absent keep the server's default.
 * Ollama returns the reasoning in `thinking` whenever the model reasons, and so does this server.
 */
export function thinkFields(think: Think): Pick<ChatBody, 'reasoning_effort' | 'reasoning_budget'> {
  if (think === false) return { reasoning_budget: 0 };
  if (typeof think === 'string') return { reasoning_effort: think };
  return {};
}

export function formatField(format: Format): Pick<ChatBody, 'response_format'> {
  if (!format) return {};
  if (format === 'json') return { response_format: { type: 'json_object' } };
  return { response_format: { type: 'json_schema', json_schema: { name: 'format', schema: format } } };
}

/** Sampling fields; `num_predict` ≤ 0 (-1, -2) leaves the length to the context. */
export function optionFields(o: OllamaOptions): Partial<ChatBody> {
  if (!o) return {};
  const n = o.num_predict;
  return {
    temperature: o.temperature, top_p: o.top_p, top_k: o.top_k, min_p: o.min_p, seed: o.seed, stop: o.stop,
    presence_penalty: o.presence_penalty, frequency_penalty: o.frequency_penalty,
    ...(n != null && n > 0 ? { max_tokens: n } : {}),
  };
}

export function refuseImages(images: readonly string[] | null | undefined, where: string): void {
  if (images?.length) throw badRequest(`${where}: this model reads text only (gpt-oss has no vision input); send the request without images`, where, 'images_unsupported');
}

/** Ollama messages → OpenAI chat messages. A tool result names its function (`tool_name`), or answers the earliest unanswered call. */
export function chatMessages(messages: readonly OllamaMessage[]): ChatBody['messages'] {
  let pending: string[] = []; // calls of the last assistant message not yet answered, in order
  let n = 0;
  return messages.map((m, i) => {
    refuseImages(m.images, `messages[${i}].images`);
    const content = m.content ?? '';
    if (m.role === 'assistant') {
      const calls = (m.tool_calls ?? []).map((t) => ({
        id: t.id ?? `call_${n++}`, type: 'function' as const,
        function: { name: t.function.name, arguments: t.function.arguments ?? {} },
      }));
      pending = calls.map((t) => t.function.name);
      return { role: 'assistant', content, ...(m.thinking ? { reasoning_content: m.thinking } : {}), ...(calls.length ? { tool_calls: calls } : {}) };
    }
    if (m.role === 'tool') {
      const name = m.tool_name ?? pending[0];
      if (!name) throw badRequest(`messages[${i}]: a tool message needs tool_name (no earlier tool call is left to answer)`, `messages[${i}].tool_name`);
      const k = pending.indexOf(name);
      if (k >= 0) pending.splice(k, 1);
      return { role: 'tool', content, name };
    }
    return { role: m.role, content };
  }) as ChatBody['messages'];
}

export function chatTools(tools: ChatRequest['tools']): ChatBody['tools'] {
  if (!tools?.length) return null;
  return tools.map((t) => ({ type: 'function' as const, function: { name: t.function.name, description: t.function.description, parameters: t.function.parameters } }));
}
