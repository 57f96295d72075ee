// Output of a plain completion: sampled ids → UTF-8-safe text deltas, cut at the first stop
// string, each delta with the tokens (and their log-probabilities) that produced it.
import { StreamDecoder, type Tokenizer } from '../tokenizer/index.ts';
import type { SampledToken } from './sampler.ts';
import type { OutputHandler } from './scheduler.ts';
import { StopStrings } from './stop-strings.ts';

export interface TokenAlternative { token: string; bytes: number[]; logprob: number }
export interface TokenInfo extends TokenAlternative { id: number; top: TokenAlternative[] }
export interface TextEvent { type: 'text'; text: string; tokens: TokenInfo[] }

/** `stopIds` end the request without adding text (eos, `<|return|>`…). */
export function textOutput(tok: Tokenizer, stops: readonly string[], stopIds: ReadonlySet<number>): OutputHandler<TextEvent> {
  const decoder = new StreamDecoder(tok);
  const stop = new StopStrings(stops);
  const emit = (text: string, tokens: TokenInfo[]): TextEvent[] => (text || tokens.length ? [{ type: 'text', text, tokens }] : []);
  return {
    token(t) {
      if (stopIds.has(t.id)) return { events: [] };
      const r = stop.push(decoder.push(t.id));
      return { events: emit(r.text, t.logprob === undefined ? [] : [tokenInfo(tok, t)]), stop: r.stopped };
    },
    end: () => emit(stop.push(decoder.flush()).text + stop.flush(), []),
  };
}

/** The OpenAI view of a sampled token: its text, its bytes, its log-probability and alternatives. */
export function tokenInfo(tok: Tokenizer, t: SampledToken): TokenInfo {
  const alt = (id: number, logprob: number): TokenAlternative => ({ token: tok.decode([id]), bytes: Array.from(tok.tokenBytes(id)), logprob });
  return { id: t.id, ...alt(t.id, t.logprob ?? 0), top: (t.top ?? []).map((a) => alt(a.id, a.logprob)) };
}
