// Output of a chat completion: sampled ids → harmony events (analysis → reasoning, final and
// commentary preambles → content, tool calls with streamed arguments), stop strings applied to the
// content, and the finish reason harmony gives (stop | length | tool_calls).
import { HarmonyParser, stopTokens } from '../harmony/index.ts';
import type { Tokenizer } from '../tokenizer/index.ts';
import type { SampledToken } from './sampler.ts';
import type { OutputHandler } from './scheduler.ts';
import { StopStrings } from './stop-strings.ts';
import { tokenInfo, type TokenInfo } from './text-output.ts';

const utf8 = new TextDecoder();
/** Unclaimed tokens kept for logprobs: a header is at most 48 tokens (harmony/parse.ts). */
const MAX_PENDING = 64;

export type ChatFinish = 'stop' | 'length' | 'tool_calls';
export type ChatEvent =
  | { type: 'reasoning'; text: string }
  | { type: 'content'; text: string; tokens: TokenInfo[] } // tokens: with logprobs, those behind the text
  | { type: 'tool-call'; index: number; id: string; name: string }
  | { type: 'tool-args'; index: number; text: string }
  | { type: 'finish'; reason: ChatFinish; reasoningTokens: number };

/** Sampling stops on `<|return|>` and `<|call|>` (spec §6.5), and `<|endoftext|>` as a safety net. */
export function chatStopIds(tok: Tokenizer): Set<number> {
  return new Set([...stopTokens(tok), tok.special.endoftext]);
}

export function chatOutput(tok: Tokenizer, stops: readonly string[], callId: (index: number) => string): OutputHandler<ChatEvent> {
  const parser = new HarmonyParser(tok, { role: 'assistant' });
  const stop = new StopStrings(stops);
  let reasoningTokens = 0;
  let stopped = false;
  // Tokens with logprobs not yet shown. A content delta claims the longest run of them, ending at
  // the newest, whose text ends the delta (a header salvaged as text, a character split over
  // tokens); any other event drops them (they were header tokens).
  let pending: SampledToken[] = [];
  const claim = (delta: string): TokenInfo[] => {
    let from = pending.length, bytes = new Uint8Array(0);
    for (let i = pending.length - 1; i >= 0; i--) {
      const b = tok.tokenBytes(pending[i].id);
      const next = new Uint8Array(b.length + bytes.length);
      next.set(b);
      next.set(bytes, b.length);
      bytes = next;
      if (delta.endsWith(utf8.decode(bytes))) from = i;
    }
    const got = pending.slice(from).map((t) => tokenInfo(tok, t));
    pending = [];
    return got;
  };

  const translate = (events: ReturnType<HarmonyParser['push']>): ChatEvent[] => {
    const out: ChatEvent[] = [];
    let reasoning = false;
    for (const e of events) {
      if (e.type !== 'content' && e.type !== 'preamble') pending = [];
      if (e.type === 'reasoning') { reasoning = true; out.push({ type: 'reasoning', text: e.delta }); }
      if ((e.type === 'content' || e.type === 'preamble') && !stopped) {
        const tokens = claim(e.delta);
        const r = stop.push(e.delta);
        stopped = r.stopped;
        if (r.text || tokens.length) out.push({ type: 'content', text: r.text, tokens });
      }
      if (e.type === 'tool-call') out.push({ type: 'tool-call', index: e.index, id: callId(e.index), name: e.name });
      if (e.type === 'tool-args') out.push({ type: 'tool-args', index: e.index, text: e.delta });
      if (e.type === 'done') {
        const held = stop.flush();
        if (held && !stopped) out.push({ type: 'content', text: held, tokens: [] });
        out.push({ type: 'finish', reason: stopped ? 'stop' : e.reason, reasoningTokens });
      }
    }
    if (reasoning) reasoningTokens++;
    return out;
  };

  return {
    token(t) {
      if (t.logprob !== undefined && pending.push(t) > MAX_PENDING) pending.shift();
      return { events: translate(parser.push(t.id)), stop: stopped };
    },
    end: (finish) => translate(parser.finish(finish)),
  };
}
