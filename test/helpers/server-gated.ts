// A real HTTP server (the app, a ModelHost, its scheduler) over a scripted engine whose every
// forward pass waits at a Gate: the test steps it one pass at a time. The engine always favours
// one ordinary token (the letter `a`), so a request runs until max_tokens or a cancel (or until the
// pass `failAt` names, counted from the request's first, fails: an engine error mid-generation). Every job the scheduler is given is
// recorded, with the abort signal the route wired to the client's connection.
import { samplingLimit, stepEach, type GenerateJob, type LanguageModel, type Scheduler } from '../../src/generate/index.ts';
import { createApp } from '../../src/server/app.ts';
import { ModelHost } from '../../src/server/host.ts';
import { bunRuntime } from '../../src/server/runtime.bun.ts';
import type { Tokenizer } from '../../src/tokenizer/index.ts';
import { tinyTokenizer } from '../fixtures/tokenizer/tiny.ts';
import { Gate } from './gate.ts';

export interface GatedServer {
  url: string;
  gate: Gate;
  tok: Tokenizer;
  scheduler: Scheduler;
  /** Every forward pass's input ids, in order (a prefill chunk or one decode token). */
  evals: number[][];
  /** Resolves with the i-th job submitted to the scheduler (0-based), once it is. */
  job(i: number): Promise<GenerateJob<unknown>>;
  stop(): Promise<void>;
}

export async function startGatedServer(o: { parallel: number; maxQueue: number; failAt?: (passOfRequest: number) => boolean }): Promise<GatedServer> {
  const tok = tinyTokenizer(), gate = new Gate(), evals: number[][] = [];
  const favourite = tok.encode('a')[0];
  const model: LanguageModel = {
    vocabSize: tok.vocabSize, maxBatch: 1 << 20, step: stepEach,
    newSession() {
      let position = 0, passes = 0; // passes since the last rewind (a new request)
      return {
        get position() { return position; },
        async eval(ids) {
          evals.push(Array.from(ids));
          await gate.pass();
          if (o.failAt?.(passes++)) throw new Error(`scripted engine failure at pass ${passes - 1} of this request`);
          position += ids.length;
          const row = new Float32Array(tok.vocabSize);
          row[favourite] = 100;
          return row;
        },
        rewind(p) { position = p; passes = 0; return true; },
        save() { throw new Error('the gated engine keeps no prompt cache'); },
        restore() {},
      };
    },
  };
  const host = new ModelHost({ parallel: o.parallel, maxQueue: o.maxQueue });
  const listener = await bunRuntime.listen(createApp({ host, log: () => {} }).fetch, { hostname: '127.0.0.1', port: 0 });
  const served = await host.load(async () => ({
    id: 'gated', aliases: [], demo: false, source: 'test', model, tokenizer: tok, context: 8192, limit: samplingLimit(tok, tok.vocabSize), eosTokenId: null,
    backend: { name: 'scripted', threads: 1, weightBytes: 0, reason: 'test' }, release: () => {},
  }));
  const scheduler = served.scheduler;
  const jobs: GenerateJob<unknown>[] = [], waiters: (() => void)[] = [];
  const submit = scheduler.submit.bind(scheduler);
  scheduler.submit = <E>(job: GenerateJob<E>) => {
    jobs.push(job as GenerateJob<unknown>);
    for (const w of waiters.splice(0)) w();
    return submit(job);
  };
  const job = async (i: number) => {
    while (jobs.length <= i) await new Promise<void>((r) => waiters.push(r));
    return jobs[i];
  };
  return {
    url: `http://127.0.0.1:${listener.port}`, gate, tok, scheduler, evals, job,
    stop: async () => { gate.open(); await listener.stop(); host.close(); },
  };
}
