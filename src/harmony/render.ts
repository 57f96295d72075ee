// Harmony messages → token ids (spec §6.2): `<|start|>{header}<|message|>{content}{terminator}`.
// Control tokens are inserted by id from the Tokenizer (never hard-coded, never parsed from text);
// each literal text part is encoded separately with ordinary BPE, as the harmony library does.
import type { Tokenizer } from '../tokenizer/index.ts';
import { declaresFunctionTools, developerText, systemText } from './content.ts';
import { HarmonyError, type HarmonyMessage, type Role } from './types.ts';

const CONSTRAIN = '<|constrain|>';

export interface ConversationOptions {
  /**
   * harmony's `auto_drop_analysis`: when the last assistant message is on `final`, drop the
   * `analysis` messages before the first `final` one (spec §6.8). Off by default, like the library
   * called without a config. chat-prompt.ts applies the per-turn rule itself instead.
   */
  autoDropAnalysis?: boolean;
}

export function renderMessage(tok: Tokenizer, m: HarmonyMessage, hasFunctionTools: boolean, out: number[] = []): number[] {
  const sp = tok.special;
  const text = (s: string) => {
    for (const id of tok.encode(s)) out.push(id); // not push(...ids): long content would overflow the stack
  };
  out.push(sp.start);
  if (m.role === 'tool') {
    if (!m.name) throw new HarmonyError('a tool message needs the tool name as its author (e.g. functions.get_weather)');
    text(m.name);
  } else {
    text(m.role);
    if (m.name) text(`:${m.name}`);
  }
  // Recipient before channel: the renderer's order (spec §6.11 note); the parser accepts both.
  if (m.recipient !== undefined && m.recipient !== 'all') text(` to=${m.recipient}`);
  if (m.channel !== undefined) {
    out.push(sp.channel);
    text(m.channel);
  }
  if (m.contentType !== undefined) {
    if (m.contentType.startsWith(CONSTRAIN)) {
      text(' ');
      out.push(sp.constrain);
      if (m.contentType.length > CONSTRAIN.length) text(m.contentType.slice(CONSTRAIN.length));
    } else {
      text(` ${m.contentType}`);
    }
  }
  out.push(sp.message);
  text(contentText(m, hasFunctionTools));
  // An assistant message with a recipient is a tool call and ends in <|call|> (spec §6.6).
  out.push(m.role === 'assistant' && m.recipient !== undefined ? sp.call : sp.end);
  return out;
}

function contentText(m: HarmonyMessage, hasFunctionTools: boolean): string {
  const c = m.content;
  if (typeof c === 'string') return c;
  if (c.type !== m.role) throw new HarmonyError(`${c.type} content can only be in a ${c.type} message, not ${m.role}`);
  return c.type === 'system' ? systemText(c, hasFunctionTools) : developerText(c);
}

/** The messages as harmony renders a conversation (no trailing `<|start|>assistant`). */
export function renderConversation(tok: Tokenizer, messages: HarmonyMessage[], opts: ConversationOptions = {}): number[] {
  const hasFunctionTools = messages.some((m) => typeof m.content !== 'string' && m.content.type === 'developer' && declaresFunctionTools(m.content));
  const lastAssistant = messages.findLast((m) => m.role === 'assistant');
  const drop = opts.autoDropAnalysis === true && lastAssistant?.channel === 'final';
  const firstFinal = messages.findIndex((m) => m.channel === 'final');
  const out: number[] = [];
  messages.forEach((m, i) => {
    if (drop && i < firstFinal && m.channel === 'analysis') return;
    renderMessage(tok, m, hasFunctionTools, out);
  });
  return out;
}

/** A prompt for sampling: the conversation, then `<|start|>{role}` (spec §6.5). */
export function renderForCompletion(tok: Tokenizer, messages: HarmonyMessage[], opts: ConversationOptions = {}, next: Role = 'assistant'): number[] {
  const out = renderConversation(tok, messages, opts);
  out.push(tok.special.start);
  for (const id of tok.encode(next)) out.push(id);
  return out;
}
