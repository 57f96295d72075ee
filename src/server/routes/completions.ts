// POST /v1/completions: a raw prompt (text or token ids) continued as plain text, no chat format.
// Ends on the model's eos and `<|endoftext|>`, a stop string, max_tokens (default 16, as OpenAI)
// or the context.
import type { Context } from 'hono';
import { textOutput, type TextEvent, type TokenInfo } from '../../generate/index.ts';
import { badRequest } from '../errors.ts';
import type { ModelHost, Served } from '../host.ts';
import { utf8Length } from '../json-scan.ts';
import { asRenderError, promptsFor, refuseIfCannotFit } from '../prompts.ts';
import { newId } from '../ids.ts';
import { checkEnd, checkModel, samplingOf, stopsOf, submit } from '../request.ts';
import { CompletionBody, parseBody } from '../schemas.ts';
import { abortOnDisconnect, framingOf, streamChunks } from '../stream.ts';
import { usageObject, SYSTEM_FINGERPRINT } from '../chat-chunks.ts';

export function completions(host: ModelHost, log: (line: string) => void) {
  return async function completions(c: Context): Promise<Response> {
    const served = host.ready();
    const body = parseBody(CompletionBody, await c.req.text());
    const model = checkModel(body.model, served);
    const tok = served.model.tokenizer;
    const prompt = await promptIds(body.prompt, served);
    const stopIds = new Set([served.model.eosTokenId, tok.special.endoftext].filter((id): id is number => id !== null));
    const abort = new AbortController();
    const gen = submit(served, {
      prompt, maxTokens: body.max_tokens ?? 16, sampling: samplingOf(body, served, body.logprobs ?? undefined),
      stopIds, signal: abort.signal, output: textOutput(tok, stopsOf(body.stop), stopIds),
    }, 'prompt');
    const { id, created } = { id: newId('cmpl-'), created: Math.floor(Date.now() / 1000) };
    const choice = (text: string, logprobs: object | null, finish: string | null) => ({
      id, object: 'text_completion', created, model, system_fingerprint: SYSTEM_FINGERPRINT, choices: [{ index: 0, text, logprobs, finish_reason: finish }],
    });
    const echo = body.echo ? tok.decode(prompt) : '';
    const offsets = new LegacyLogprobs(echo.length);

    if (body.stream) {
      return streamChunks(c, framingOf(c.req.header('accept')), abort, async (send) => {
        if (echo) await send(choice(echo, null, null));
        for await (const e of gen) {
          if (e.type === 'text') { await send(choice(e.text, body.logprobs != null ? offsets.add(e).object() : null, null)); continue; }
          checkEnd(e, c);
          if (e.finish === 'cancelled') return;
          // As in chat: usage on the finish chunk, or in its own chunk after it when asked for.
          const includeUsage = body.stream_options?.include_usage === true;
          await send({ ...choice('', null, e.finish), ...(includeUsage ? {} : { usage: usageObject(e.usage, 0) }) });
          if (includeUsage) await send({ ...choice('', null, null), choices: [], usage: usageObject(e.usage, 0) });
        }
      }, log);
    }

    abortOnDisconnect(c, abort);
    let text = echo;
    for await (const e of gen) {
      if (e.type === 'text') { text += e.text; offsets.add(e, true); continue; }
      checkEnd(e, c);
      return c.json({ ...choice(text, body.logprobs != null ? offsets.object() : null, e.finish), usage: usageObject(e.usage, 0) });
    }
    throw new Error('the generation ended without an end event');
  };
}

/** Text, one string of it, or token ids (checked against the vocabulary). */
async function promptIds(p: CompletionBody['prompt'], served: Served): Promise<number[]> {
  const one = Array.isArray(p) && (typeof p[0] === 'string' || Array.isArray(p[0])) ? p[0] : p;
  const tok = served.model.tokenizer;
  if (typeof one === 'string') {
    if (one === '') throw badRequest('prompt is empty', 'prompt');
    const bytes = utf8Length(one);
    refuseIfCannotFit(bytes, tok, served.model.context, 'prompt');
    return promptsFor(tok).text(one, bytes, served.model.context).catch((e) => { throw asRenderError(e, 'prompt'); });
  }
  const ids = one as number[];
  const bad = ids.findIndex((id) => id >= tok.vocabSize);
  if (bad >= 0) throw badRequest(`prompt: token id ${ids[bad]} is outside the vocabulary (0 … ${tok.vocabSize - 1})`, `prompt[${bad}]`);
  return ids;
}

/** The legacy completions logprobs object: parallel arrays, alternatives as {token: logprob}. */
class LegacyLogprobs {
  tokens: string[] = [];
  token_logprobs: number[] = [];
  top_logprobs: Record<string, number>[] = [];
  text_offset: number[] = [];

  constructor(private offset: number) {}

  /** Adds the tokens of `e`; `keep` false starts afresh (each streamed chunk carries its own). */
  add(e: TextEvent, keep = false): this {
    if (!keep) { this.tokens = []; this.token_logprobs = []; this.top_logprobs = []; this.text_offset = []; }
    for (const t of e.tokens as TokenInfo[]) {
      this.tokens.push(t.token);
      this.token_logprobs.push(t.logprob);
      this.top_logprobs.push(Object.fromEntries(t.top.map((a) => [a.token, a.logprob])));
      this.text_offset.push(this.offset);
      this.offset += t.token.length;
    }
    return this;
  }

  object() {
    return { tokens: this.tokens, token_logprobs: this.token_logprobs, top_logprobs: this.top_logprobs, text_offset: this.text_offset };
  }
}
