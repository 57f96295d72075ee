// Incremental harmony parser: sampled token ids → events (spec §6.9). States: between messages,
// in a header (until <|message|>), in content (until <|end|>, <|return|> or <|call|>). Content text
// streams through a StreamDecoder, so no delta ever splits a UTF-8 character.
//
// Lenient by design (spec §9 item 17): it never throws. A missing <|start|> or <|message|>, a
// header that runs into text (a bare answer), a message cut by a new <|start|>/<|channel|>, stray
// specials in content — all are recovered from and noted in ParsedMessage.malformed.
import { StreamDecoder, type Tokenizer } from '../tokenizer/index.ts';
import { parseHeader, type Header } from './header.ts';
import type { Role } from './types.ts';

export type FinishReason = 'stop' | 'tool_calls' | 'length';
export type MessageKind = 'reasoning' | 'content' | 'preamble' | 'tool-call' | 'other';

export interface ParsedMessage extends Omit<Header, 'junk'> {
  kind: MessageKind;
  content: string;
  /** null: cut off (end of input, or a new message began without <|end|>). */
  terminator: 'end' | 'return' | 'call' | null;
  /** Deviations from the format that were recovered from (empty for a well-formed message). */
  malformed: string[];
}

export type HarmonyEvent =
  | { type: 'reasoning' | 'content' | 'preamble'; delta: string } // analysis / final / commentary text
  | { type: 'tool-call'; index: number; name: string; recipient: string; channel?: string; contentType?: string }
  | { type: 'tool-args'; index: number; delta: string }
  | { type: 'message'; message: ParsedMessage } // one per completed message, in order
  | { type: 'done'; reason: FinishReason };

export interface ParserOptions {
  /** Role already rendered before the first header: 'assistant' for a `<|start|>assistant` prompt. */
  role?: Role | null;
}

type Control = 'start' | 'end' | 'return' | 'call' | 'message' | 'channel' | 'constrain' | 'endoftext' | 'other';

// A real header is a few tokens (` to=functions.name <|constrain|>json`); longer, or containing a
// newline, it is a bare answer the model started without header markup.
const MAX_HEADER_TOKENS = 48;

interface Open {
  header: Header;
  kind: MessageKind;
  toolIndex: number;
  decoder: StreamDecoder;
  text: string;
  malformed: string[];
}

export class HarmonyParser {
  readonly messages: ParsedMessage[] = [];
  readonly #tok: Tokenizer;
  readonly #control = new Map<number, Control>();
  #state: 'between' | 'header' | 'content' = 'between';
  #role: Role | null;
  #headerIds: number[] = [];
  #headerNotes: string[] = [];
  #open: Open | null = null;
  #lastStop: 'return' | 'call' | 'endoftext' | null = null;
  #tools = 0;
  #events: HarmonyEvent[] = [];

  constructor(tok: Tokenizer, opts: ParserOptions = {}) {
    this.#tok = tok;
    const sp = tok.special;
    for (const name of ['start', 'end', 'return', 'call', 'message', 'channel', 'constrain', 'endoftext'] as const) {
      this.#control.set(sp[name], name);
    }
    this.#role = opts.role === undefined ? 'assistant' : opts.role;
    if (this.#role) this.#state = 'header';
  }

  /** Feeds one or more sampled ids; returns the events they produced (adjacent deltas merged). */
  push(ids: number | Iterable<number>): HarmonyEvent[] {
    for (const id of typeof ids === 'number' ? [ids] : ids) this.#step(id);
    return this.#drain();
  }

  /** End of generation: closes what is open and reports why it ended (`length` unless a stop token did). */
  finish(fallback: FinishReason = 'length'): HarmonyEvent[] {
    if (this.#state === 'header') this.#salvageHeader(null);
    if (this.#state === 'content') this.#close(null);
    this.#state = 'between';
    const stop = this.#lastStop;
    const reason: FinishReason = stop === 'call' && this.#tools > 0 ? 'tool_calls' : stop ? 'stop' : fallback;
    this.#events.push({ type: 'done', reason });
    return this.#drain();
  }

  #step(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.#tok.vocabSize) return; // not a sampled id: ignore
    const c: Control | null = this.#control.get(id) ?? (this.#tok.isSpecial(id) ? 'other' : null);
    this.#lastStop = c === 'return' || c === 'call' || c === 'endoftext' ? c : null;
    if (this.#state === 'between') this.#between(id, c);
    else if (this.#state === 'header') this.#inHeader(id, c);
    else this.#inContent(id, c);
  }

  #between(id: number, c: Control | null): void {
    if (c === 'start') return this.#beginHeader(null, []);
    if (c === null || c === 'channel' || c === 'message' || c === 'constrain') {
      this.#beginHeader('assistant', ['missing <|start|>']); // the model skipped `<|start|>assistant`
      return this.#inHeader(id, c);
    }
    // stray <|end|>, stop tokens, reserved ids between messages: nothing to do
  }

  #beginHeader(role: Role | null, notes: string[]): void {
    this.#state = 'header';
    this.#role = role;
    this.#headerIds = [];
    this.#headerNotes = notes;
  }

  #inHeader(id: number, c: Control | null): void {
    if (c === 'message') {
      const header = parseHeader(this.#tok.decode(this.#headerIds), this.#role);
      return this.#openMessage(header, [...this.#headerNotes, ...header.junk.map((j) => `junk in header: ${j}`)]);
    }
    if (c === 'end' || c === 'return' || c === 'call' || c === 'endoftext') {
      return this.#salvageHeader(c === 'endoftext' ? null : c);
    }
    if (c === 'start') {
      this.#salvageHeader(null);
      return this.#beginHeader(null, []);
    }
    this.#headerIds.push(id);
    const newline = c === null && this.#tok.tokenBytes(id).includes(0x0a);
    if (this.#headerIds.length > MAX_HEADER_TOKENS || newline) this.#salvageHeader('open');
  }

  /**
   * The header never reached <|message|>: it ran into a stop token, a new <|start|>, the end of
   * input, or turned out to be text. What follows `<|channel|>X [to=R] [<|constrain|>T]` — or, with
   * no channel marker, everything after an optional role word — is the content of a bare message.
   * `terminator` 'open' keeps that message open for the tokens still to come.
   */
  #salvageHeader(terminator: ParsedMessage['terminator'] | 'open'): void {
    // The message's decoder keeps a character still split at the end of the header bytes.
    const decoder = new StreamDecoder(this.#tok);
    const text = decoder.pushBytes(this.#tok.decodeBytes(this.#headerIds));
    const marker = /<\|channel\|>[^\s<]*(?:\s*to=[^\s<]+)?(?:\s*<\|constrain\|>\w*)?[ \t]?/.exec(text);
    const roleWord = this.#role === null ? /^\s*(?:system|developer|user|assistant)\b[ \t]?/.exec(text) : null;
    const headerText = marker ? text.slice(0, marker.index + marker[0].length) : (roleWord?.[0] ?? '');
    const rest = text.slice(headerText.length);
    if (!marker && !rest.trim() && !decoder.pending) {
      this.#state = 'between'; // nothing but a role word: no message to report
      return;
    }
    const header = parseHeader(headerText, this.#role);
    this.#openMessage(header, [...this.#headerNotes, ...header.junk.map((j) => `junk in header: ${j}`), 'no <|message|> after the header'], decoder);
    if (rest) this.#emit(rest);
    if (terminator !== 'open') this.#close(terminator);
  }

  #openMessage(header: Header, malformed: string[], decoder = new StreamDecoder(this.#tok)): void {
    this.#state = 'content';
    this.#role = null;
    const kind = kindOf(header);
    const open: Open = { header, kind, toolIndex: -1, decoder, text: '', malformed };
    if (kind === 'tool-call') {
      open.toolIndex = this.#tools++;
      const r = header.recipient!;
      const name = r.startsWith('functions.') ? r.slice('functions.'.length) : r;
      this.#events.push({ type: 'tool-call', index: open.toolIndex, name, recipient: r, ...optional(header) });
    }
    this.#open = open;
  }

  #inContent(id: number, c: Control | null): void {
    if (c === null) return this.#content(this.#tok.tokenBytes(id));
    if (c === 'end' || c === 'return' || c === 'call') return this.#close(c);
    if (c === 'endoftext') return this.#close(null);
    if (c === 'start' || c === 'channel') {
      this.#open!.malformed.push(`no <|end|> before ${c === 'start' ? '<|start|>' : '<|channel|>'}`);
      this.#close(null);
      this.#beginHeader(c === 'start' ? null : 'assistant', c === 'start' ? [] : ['missing <|start|>']);
      if (c === 'channel') this.#headerIds.push(id);
      return;
    }
    this.#open!.malformed.push(`stray ${this.#tok.decode([id])} in content`); // <|message|>, <|constrain|>, reserved
  }

  #content(bytes: Uint8Array): void {
    const delta = this.#open!.decoder.pushBytes(bytes);
    if (delta) this.#emit(delta);
  }

  #emit(delta: string): void {
    const o = this.#open!;
    o.text += delta;
    if (o.kind === 'tool-call') this.#events.push({ type: 'tool-args', index: o.toolIndex, delta });
    else if (o.kind !== 'other') this.#events.push({ type: o.kind, delta });
  }

  #close(terminator: ParsedMessage['terminator']): void {
    const o = this.#open!;
    const rest = o.decoder.flush();
    if (rest) this.#emit(rest);
    const { junk: _, ...header } = o.header;
    const message: ParsedMessage = { ...header, kind: o.kind, content: o.text, terminator, malformed: o.malformed };
    this.messages.push(message);
    this.#events.push({ type: 'message', message });
    this.#open = null;
    this.#state = 'between';
  }

  #drain(): HarmonyEvent[] {
    const out: HarmonyEvent[] = [];
    for (const e of this.#events) {
      const last = out.at(-1);
      if (last && 'delta' in last && 'delta' in e && last.type === e.type && (e.type !== 'tool-args' || (last as { index: number }).index === e.index)) {
        out[out.length - 1] = { ...last, delta: last.delta + e.delta } as HarmonyEvent;
      } else out.push(e);
    }
    this.#events = [];
    return out;
  }
}

function kindOf(h: Header): MessageKind {
  if (h.role !== 'assistant') return 'other';
  if (h.recipient) return 'tool-call'; // on commentary, or (sloppily) on analysis
  if (h.channel === 'analysis') return 'reasoning';
  if (h.channel === 'commentary') return 'preamble';
  if (h.channel === 'final' || h.channel === undefined) return 'content'; // undefined: a bare answer
  return 'reasoning'; // unknown channel: keep it out of the user-visible answer
}

function optional(h: Header): { channel?: string; contentType?: string } {
  return { ...(h.channel && { channel: h.channel }), ...(h.contentType && { contentType: h.contentType }) };
}
