// The response object (https://platform.openai.com/docs/api-reference/responses/object): what the
// request asked (echoed), the output items, the status and the usage.
import type { Usage } from '../../generate/index.ts';
import type { Item } from './items.ts';
import type { Prepared } from './request.ts';
import type { ResponsesBody } from './schema.ts';

export type Status = 'in_progress' | 'completed' | 'incomplete' | 'failed';

export interface ResponseMeta { id: string; createdAt: number; model: string; body: ResponsesBody; prepared: Prepared }

export function usageObject(u: Usage, reasoningTokens: number) {
  return {
    input_tokens: u.promptTokens, input_tokens_details: { cached_tokens: u.cachedTokens },
    output_tokens: u.completionTokens, output_tokens_details: { reasoning_tokens: reasoningTokens },
    total_tokens: u.promptTokens + u.completionTokens,
  };
}

export function responseObject(m: ResponseMeta, status: Status, output: Item[], more: {
  usage?: ReturnType<typeof usageObject>; error?: { code: string; message: string };
} = {}) {
  const b = m.body;
  return {
    id: m.id, object: 'response' as const, created_at: m.createdAt, status,
    ...(status === 'completed' || status === 'incomplete' ? { completed_at: Math.floor(Date.now() / 1000) } : {}),
    background: false,
    error: more.error ?? null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' as const } : null,
    instructions: b.instructions ?? null,
    max_output_tokens: b.max_output_tokens ?? null,
    metadata: b.metadata ?? {},
    model: m.model,
    output,
    parallel_tool_calls: b.parallel_tool_calls ?? true,
    previous_response_id: b.previous_response_id ?? null,
    reasoning: { effort: b.reasoning?.effort ?? 'medium', summary: b.reasoning?.summary ?? null },
    store: b.store ?? true,
    temperature: b.temperature ?? 1,
    text: { format: b.text?.format ?? { type: 'text' } },
    tool_choice: m.prepared.toolChoice,
    tools: m.prepared.tools.map((t) => t.tool),
    top_p: b.top_p ?? 1,
    truncation: 'disabled' as const,
    usage: more.usage ?? null,
    user: b.user ?? null,
  };
}
