// Real servers on 127.0.0.1 for the HTTP tests: the golden tiny-a model (deterministic greedy), or
// a scripted engine that replies with a fixed harmony token sequence (tool calls on demand).
import { join } from 'node:path';
import { openServedModel } from '../../src/boot/open-model.ts';
import { startService, type ServiceOptions } from '../../src/boot/service.ts';
import { argmax, samplingLimit, stepEach, type LanguageModel, type LoadedModel } from '../../src/generate/index.ts';
import { createApp, type AppDeps } from '../../src/server/app.ts';
import { ModelHost, type HostOptions } from '../../src/server/host.ts';
import { bunRuntime } from '../../src/server/runtime.bun.ts';
import type { RunningServer } from '../../src/server/start.ts';
import { encodeWithSpecials, type Tokenizer } from '../../src/tokenizer/index.ts';
import { GOLDEN } from './golden.ts';

export const TINY = join(GOLDEN, 'tiny-a', 'model.gguf');

export async function startTestServer(o: Partial<ServiceOptions> = {}): Promise<RunningServer> {
  const s = await startService({ model: TINY, host: '127.0.0.1', port: 0, parallel: 4, maxQueue: 64, ...o, engine: { threads: 1, backend: 'cpu', context: 1024, ...o.engine } }, bunRuntime, { log: () => {} });
  await s.ready;
  return s;
}

/** tiny-a loaded beside the server, to compute what the server must answer. */
export function loadReference(context = 1024): Promise<LoadedModel> {
  return openServedModel(TINY, { threads: 1, context, backend: 'cpu' });
}

/** The engine's own greedy ids (argmax over the sampling limit), stopping after a stop id. */
export async function greedyIds(m: LoadedModel, prompt: number[], max: number, stopIds: ReadonlySet<number>): Promise<number[]> {
  const s = m.model.newSession(prompt.length + max + 1);
  let logits = await s.eval(prompt, 'last');
  const out: number[] = [];
  for (;;) {
    const id = argmax(logits.subarray(0, m.limit));
    out.push(id);
    if (stopIds.has(id) || out.length === max) return out;
    logits = await s.eval([id], 'last');
  }
}

/**
 * A server whose engine answers each prompt with `reply(promptText)` (harmony text with literal
 * `<|…|>` markers), then `<|endoftext|>`. `prompts` records every prompt it was given.
 */
export async function startScriptedServer(tok: Tokenizer, reply: (prompt: string) => string, deps: Partial<AppDeps> = {}, hostOptions: Partial<HostOptions> = {}) {
  const host = new ModelHost({ parallel: 2, maxQueue: 4, ...hostOptions });
  const app = createApp({ host, log: () => {}, ...deps });
  const listener = await bunRuntime.listen(app.fetch, { hostname: '127.0.0.1', port: 0 });
  const prompts: string[] = [];
  const model = scriptedModel(tok, (prompt) => {
    prompts.push(prompt);
    return encodeWithSpecials(tok, reply(prompt));
  });
  await host.load(async () => ({
    id: 'scripted', aliases: [], demo: false, source: 'test', model, tokenizer: tok, context: 4096, limit: samplingLimit(tok, tok.vocabSize), eosTokenId: null,
    backend: { name: 'scripted', threads: 1, weightBytes: 0, reason: 'test' }, release: () => {},
  }));
  return { url: `http://127.0.0.1:${listener.port}`, prompts, stop: async () => { await listener.stop(); host.close(); } };
}

/**
 * The scheduler rewinds a slot when it admits a request and, with a batch this large, feeds the
 * rest of the prompt in one call: so the first eval after a rewind ends the prompt, and every later
 * eval carries the reply's next tokens (one sampled token, plus any forced after it).
 */
function scriptedModel(tok: Tokenizer, replyFor: (prompt: string) => number[]): LanguageModel {
  return {
    vocabSize: tok.vocabSize, maxBatch: 1 << 20, step: stepEach,
    newSession() {
      const history: number[] = [];
      let reply: number[] = [], k = 0, fresh = true;
      return {
        get position() { return history.length; },
        async eval(ids) {
          history.push(...Array.from(ids));
          if (fresh) { reply = replyFor(tok.decode(history)); k = 0; fresh = false; } else k += ids.length;
          const row = new Float32Array(tok.vocabSize);
          row[k < reply.length ? reply[k] : tok.special.endoftext] = 1000; // certain at any temperature
          return row;
        },
        rewind(p) { history.length = p; fresh = true; return true; },
        save() { const h = [...history]; return { length: h.length, bytes: 4 * h.length, release() {}, h }; },
        restore(s) { history.splice(0, history.length, ...(s as unknown as { h: number[] }).h); fresh = true; },
      };
    },
  };
}
