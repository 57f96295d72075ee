// Chat-completion response objects in OpenAI's shapes: `chat.completion.chunk` deltas while
// streaming, one `chat.completion` otherwise. Reasoning goes to both `reasoning_content` (llama-server,
// older vLLM) and `reasoning` (vLLM now, OpenRouter), tool calls to `tool_calls` with streamed
// `arguments`. The chunk with the finish reason carries `usage` even unasked, as llama-server's does
// (clients that never send stream_options, like the Vercel AI SDK's compatible provider, get usage).
import type { ChatEvent, ChatFinish, TokenInfo, Usage } from '../generate/index.ts';

export interface ChatMeta { id: string; created: number; model: string }

export const SYSTEM_FINGERPRINT = 'oss-edge';

interface ToolCall { id: string; type: 'function'; function: { name: string; arguments: string } }

export function usageObject(u: Usage, reasoningTokens: number) {
  return {
    prompt_tokens: u.promptTokens, completion_tokens: u.completionTokens, total_tokens: u.promptTokens + u.completionTokens,
    prompt_tokens_details: { cached_tokens: u.cachedTokens }, completion_tokens_details: { reasoning_tokens: reasoningTokens },
  };
}

/** OpenAI's per-token logprob entry (chat shape). */
export function logprobEntry(t: TokenInfo) {
  return { token: t.token, logprob: t.logprob, bytes: t.bytes, top_logprobs: t.top.map((a) => ({ token: a.token, logprob: a.logprob, bytes: a.bytes })) };
}

/** Builds the stream of chunks; `null` for events that show nothing. */
export class ChatChunks {
  constructor(private readonly meta: ChatMeta, private readonly includeUsage: boolean) {}

  chunk(delta: object, finish: ChatFinish | null = null, logprobs: object | null = null) {
    const { id, created, model } = this.meta;
    return {
      id, object: 'chat.completion.chunk', created, model, system_fingerprint: SYSTEM_FINGERPRINT,
      choices: [{ index: 0, delta, logprobs, finish_reason: finish }], ...(this.includeUsage ? { usage: null } : {}),
    };
  }

  first() { return this.chunk({ role: 'assistant', content: '' }); }

  event(e: ChatEvent) {
    switch (e.type) {
      case 'reasoning': return this.chunk({ reasoning_content: e.text, reasoning: e.text });
      case 'content': return this.chunk({ content: e.text }, null, e.tokens.length ? { content: e.tokens.map(logprobEntry) } : null);
      case 'tool-call': return this.chunk({ tool_calls: [{ index: e.index, id: e.id, type: 'function', function: { name: e.name, arguments: '' } }] });
      case 'tool-args': return this.chunk({ tool_calls: [{ index: e.index, function: { arguments: e.text } }] });
      case 'finish': return this.chunk({}, e.reason);
    }
  }

  /** The finish chunk, with `usage` on it unless a separate usage chunk follows (include_usage). */
  finish(e: Extract<ChatEvent, { type: 'finish' }>, u: Usage) {
    const c = this.chunk({}, e.reason);
    return this.includeUsage ? c : { ...c, usage: usageObject(u, e.reasoningTokens) };
  }

  usage(u: Usage, reasoningTokens: number) {
    const { id, created, model } = this.meta;
    return { id, object: 'chat.completion.chunk', created, model, system_fingerprint: SYSTEM_FINGERPRINT, choices: [], usage: usageObject(u, reasoningTokens) };
  }
}

/** Gathers the events of a non-streamed request into one `chat.completion`. */
export class ChatMessageBuilder {
  content = '';
  reasoning = '';
  toolCalls: ToolCall[] = [];
  logprobs: ReturnType<typeof logprobEntry>[] = [];
  finish: ChatFinish = 'stop';
  reasoningTokens = 0;

  add(e: ChatEvent): void {
    if (e.type === 'reasoning') this.reasoning += e.text;
    if (e.type === 'content') { this.content += e.text; this.logprobs.push(...e.tokens.map(logprobEntry)); }
    if (e.type === 'tool-call') this.toolCalls[e.index] = { id: e.id, type: 'function', function: { name: e.name, arguments: '' } };
    if (e.type === 'tool-args') this.toolCalls[e.index].function.arguments += e.text;
    if (e.type === 'finish') { this.finish = e.reason; this.reasoningTokens = e.reasoningTokens; }
  }

  response(meta: ChatMeta, usage: Usage, withLogprobs: boolean) {
    const calls = this.toolCalls.filter(Boolean);
    const message = {
      role: 'assistant', content: calls.length && !this.content ? null : this.content,
      ...(this.reasoning ? { reasoning_content: this.reasoning, reasoning: this.reasoning } : {}), ...(calls.length ? { tool_calls: calls } : {}),
    };
    return {
      id: meta.id, object: 'chat.completion', created: meta.created, model: meta.model, system_fingerprint: SYSTEM_FINGERPRINT,
      choices: [{ index: 0, message, logprobs: withLogprobs ? { content: this.logprobs } : null, finish_reason: this.finish }],
      usage: usageObject(usage, this.reasoningTokens),
    };
  }
}
