// Request → prompt ids without blocking the event loop. Small requests (the usual chat turn) are
// rendered inline: a few milliseconds at most. Past INLINE_BYTES of text the work goes to a worker
// thread (prompt-worker.ts) — rendering and tokenizing are linear, but a megabyte still takes most
// of a second, and /health, /metrics and running streams must not wait that long. Before either, a
// prompt that provably cannot fit the context is refused from its byte count alone: a token never
// covers more than `tok.maxTokenBytes` bytes, so B bytes of text are at least B / max tokens.
import { chatToHarmony, HarmonyError, renderForCompletion, type ChatRequest } from '../harmony/index.ts';
import { recipeOf, type Tokenizer, type TokenizerRecipe } from '../tokenizer/index.ts';
import { badRequest } from './errors.ts';
import { utf8Length } from './json-scan.ts';
import type { PromptJob, PromptReply } from './prompt-worker.ts';

/** Requests smaller than this (body or text, in bytes) are rendered on the event loop (≈ 1–3 ms of work). */
export const INLINE_BYTES = 16 << 10;
/** A worker nobody used for this long is ended (its heap and tokenizer tables go with it). */
const IDLE_MS = 10_000;

/** UTF-8 bytes of the request text that is certainly rendered: message contents and instructions. */
export function chatTextBytes(req: ChatRequest): number {
  let n = utf8Length(req.instructions ?? '');
  for (const m of req.messages) {
    const c = m.content;
    if (typeof c === 'string') n += utf8Length(c);
    else if (Array.isArray(c)) for (const p of c) n += utf8Length(p.text);
  }
  return n;
}

/** 400 context_length_exceeded when `bytes` of text cannot fit in `context` tokens. */
export function refuseIfCannotFit(bytes: number, tok: Tokenizer, context: number, param: string): void {
  const least = Math.ceil(bytes / tok.maxTokenBytes);
  if (least >= context) {
    throw badRequest(`the prompt has at least ${least} tokens (${bytes} bytes of text, at most ${tok.maxTokenBytes} bytes a token); `
      + `the context is ${context} (at most ${context - 1} prompt tokens)`, param, 'context_length_exceeded');
  }
}

export class PromptTokenizer {
  #worker: Worker | null = null;
  #pending = new Map<number, { resolve: (ids: number[]) => void; reject: (e: Error) => void; context: number }>();
  #next = 0;
  #idle: ReturnType<typeof setTimeout> | null = null;

  readonly #recipe: TokenizerRecipe | null;

  constructor(readonly tok: Tokenizer) {
    this.#recipe = recipeOf(tok); // null: a tokenizer a worker cannot rebuild, rendered inline
  }

  /** Whether the worker thread is alive (/metrics). */
  get running(): boolean {
    return this.#worker !== null;
  }

  /**
   * The harmony prompt of a chat request, ending `<|start|>assistant` (HarmonyError if it cannot be
   * rendered). `bytes`: the size of the request body, which bounds the work (tools included).
   */
  async chat(req: ChatRequest, bytes: number, context: number): Promise<number[]> {
    if (bytes < INLINE_BYTES || !this.#recipe) return renderForCompletion(this.tok, chatToHarmony(req));
    return this.#send({ id: 0, chat: req }, context);
  }

  /** Ordinary text → ids. */
  async text(text: string, bytes: number, context: number): Promise<number[]> {
    if (bytes < INLINE_BYTES || !this.#recipe) return this.tok.encode(text);
    return this.#send({ id: 0, text }, context);
  }

  /** Ends the worker (idle, or the server stops). */
  close(): void {
    this.#worker?.terminate();
    this.#worker = null;
    this.#fail(new Error('the prompt worker was stopped'));
  }

  // A prompt over the context is refused from its length: the ids of a megabyte of text are never
  // copied into an Array on the event loop (~100 ms for 800k of them).
  #send(job: PromptJob, context: number): Promise<number[]> {
    const w = this.#worker ?? this.#start();
    if (this.#idle) clearTimeout(this.#idle);
    this.#idle = null;
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, context });
      w.postMessage({ ...job, id });
    });
  }

  #start(): Worker {
    const w = new Worker(new URL('./prompt-worker.ts', import.meta.url).href, { type: 'module' });
    (w as { unref?: () => void }).unref?.(); // never what keeps the process alive
    w.postMessage({ init: this.#recipe });
    w.onmessage = (e: MessageEvent) => {
      const r = e.data as PromptReply;
      const p = this.#pending.get(r.id);
      if (!p) return;
      this.#pending.delete(r.id);
      if ('ids' in r && r.ids.length >= p.context) p.reject(tooLong(r.ids.length, p.context));
      else if ('ids' in r) p.resolve(toArray(r.ids));
      else p.reject(r.harmony ? new HarmonyError(r.error) : new Error(`prompt worker: ${r.error}`));
      if (this.#pending.size === 0) this.#idle = setTimeout(() => this.close(), IDLE_MS);
      (this.#idle as { unref?: () => void } | null)?.unref?.();
    };
    // A worker that died (out of memory, a bug) is dropped; the next large request starts another.
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault?.();
      if (this.#worker === w) this.#worker = null;
      w.terminate();
      this.#fail(new Error(`the prompt worker failed: ${e.message}`));
    };
    return (this.#worker = w);
  }

  #fail(e: Error): void {
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
  }
}

const shared = new WeakMap<Tokenizer, PromptTokenizer>();

/** The PromptTokenizer of a tokenizer (one worker per tokenizer, started on first need). */
export function promptsFor(tok: Tokenizer): PromptTokenizer {
  let p = shared.get(tok);
  if (!p) shared.set(tok, (p = new PromptTokenizer(tok)));
  return p;
}

/** The scheduler's refusal (generate/scheduler.ts), for a prompt counted before it gets there. */
class PromptTooLong extends Error {}
function tooLong(n: number, context: number): PromptTooLong {
  return new PromptTooLong(`the prompt has ${n} tokens; the context is ${context} (at most ${context - 1} prompt tokens)`);
}

function toArray(ids: Uint32Array): number[] {
  const out = new Array<number>(ids.length);
  for (let i = 0; i < ids.length; i++) out[i] = ids[i];
  return out;
}

/** Rendering errors are the caller's: a HarmonyError is 400 naming `messages`, an over-long prompt 400 naming `param`. */
export function asRenderError(e: unknown, param = 'messages'): unknown {
  if (e instanceof HarmonyError) return badRequest(e.message, 'messages', 'invalid_messages');
  if (e instanceof PromptTooLong) return badRequest(e.message, param, 'context_length_exceeded');
  return e;
}
