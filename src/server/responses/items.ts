// The conversation items of the Responses API, as this server stores and returns them: every input
// item normalized (an id, content as parts), every output item as the response gave it.
// https://platform.openai.com/docs/api-reference/responses/object

export interface TextPart { type: 'input_text' | 'output_text' | 'refusal'; text: string; annotations?: unknown[]; logprobs?: unknown[] }

export interface MessageItem {
  id: string; type: 'message'; role: 'user' | 'system' | 'developer' | 'assistant';
  status: 'in_progress' | 'completed' | 'incomplete'; content: TextPart[];
}
export interface FunctionCallItem {
  id: string; type: 'function_call'; status: 'in_progress' | 'completed' | 'incomplete';
  call_id: string; name: string; arguments: string;
}
export interface FunctionCallOutputItem { id: string; type: 'function_call_output'; status: 'completed'; call_id: string; output: string }
export interface ReasoningItem {
  id: string; type: 'reasoning'; status?: 'in_progress' | 'completed' | 'incomplete';
  summary: Array<{ type: 'summary_text'; text: string }>; content?: Array<{ type: 'reasoning_text'; text: string }>;
}

export type Item = MessageItem | FunctionCallItem | FunctionCallOutputItem | ReasoningItem;

/** The id prefix of each kind, as OpenAI's (msg_, fc_, rs_); outputs of calls get fco_. */
export const ID_PREFIX: Record<Item['type'], string> = { message: 'msg_', function_call: 'fc_', function_call_output: 'fco_', reasoning: 'rs_' };

/** A message's text (parts joined by newlines, as chat content parts are). */
export function messageText(m: MessageItem): string {
  return m.content.map((p) => p.text).join('\n');
}

/** What a reasoning item says: its full text when given, its summary otherwise. */
export function reasoningText(r: ReasoningItem): string {
  const parts = r.content?.length ? r.content : r.summary;
  return parts.map((p) => p.text).join('\n');
}
