// Token ids of the assistant message headers a constrained generation steers the model through
// (spec §6.2, §6.5, §6.6): what follows `<|start|>assistant` up to and including `<|message|>`, and
// the `<|end|><|start|>assistant` that separates two messages.
import type { Tokenizer } from '../tokenizer/index.ts';
import { renderMessage } from './render.ts';

const JSON_TYPE = '<|constrain|>json';

export interface AssistantHeader {
  channel: string;
  /** `functions.NAME` for a tool call. */
  recipient?: string;
}

/**
 * The header in the form the model itself writes: channel first, then the recipient and the
 * content type (`<|channel|>commentary to=functions.f <|constrain|>json<|message|>`, spec §6.6 —
 * the text between the control tokens is one BPE piece, as in the spec's token ids).
 */
export function modelHeaderIds(tok: Tokenizer, h: AssistantHeader): number[] {
  const sp = tok.special;
  if (!h.recipient) return [sp.channel, ...tok.encode(h.channel), sp.message];
  return [sp.channel, ...tok.encode(`${h.channel} to=${h.recipient} `), sp.constrain, ...tok.encode('json'), sp.message];
}

/**
 * The header as the renderer writes it (recipient before channel, spec §6.2), cut out of a rendered
 * empty message so it can never disagree with render.ts.
 */
export function renderedHeaderIds(tok: Tokenizer, h: AssistantHeader): number[] {
  const m = renderMessage(tok, { role: 'assistant', channel: h.channel, ...(h.recipient ? { recipient: h.recipient, contentType: JSON_TYPE } : {}), content: '' }, true);
  return m.slice(1 + tok.encode('assistant').length, -1); // without `<|start|>assistant` and the terminator
}

/** `<|start|>assistant`: what opens the next assistant message after `<|end|>`. */
export function assistantStartIds(tok: Tokenizer): number[] {
  return [tok.special.start, ...tok.encode('assistant')];
}
