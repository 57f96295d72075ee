// Starts the service: listen first (so /health answers 503 with progress while loading), then load
// the model and serve it. Runtime-free and engine-free: the caller passes the Runtime and the
// function that opens the model (src/boot/service.ts).
import type { LoadedModel, LoadProgress } from '../generate/index.ts';
import { DEFAULT_LOG_FORMAT, type LogFormat } from './access-log.ts';
import { createApp } from './app.ts';
import { ModelHost, type Served } from './host.ts';
import type { Limits } from './limits.ts';
import { setIdTag } from './ids.ts';
import { governMemory } from './memory.ts';
import type { UnsupportedTools } from './responses/request.ts';
import { ResponseStore, STORE_DEFAULTS } from './responses/store.ts';
import type { Runtime } from './runtime.ts';

export interface ServerOptions {
  host: string;
  port: number;
  apiKey?: string;
  corsOrigin?: string;
  maxQueue: number;
  /** Concurrent generations (slots). */
  parallel: number;
  /** Bytes of conversation K/V kept beyond the slots (the prompt cache); 0: none. */
  promptCacheBytes?: number;
  maxBodyBytes?: number;
  /** The chat page at `/` (default on). */
  ui?: boolean;
  /** Request limits (limits.ts, one `serve` flag each); unset ones take their defaults. */
  limits?: Partial<Limits>;
  /** More model names clients may send (besides the model's id and its default aliases). */
  aliases?: string[];
  /** Server default for a request's reasoning_budget: -1 unlimited (default), 0 none. */
  reasoningBudget?: number;
  /** `--replica-id`: this replica's tag behind a load balancer: X-Replica (replica.ts), and in every id (ids.ts). */
  replicaId?: string;
  /** The access log's format (default text). */
  logFormat?: LogFormat;
  /** Stored responses (/v1/responses): budget, age, directory (none: in memory); unset ones take STORE_DEFAULTS. */
  responsesMaxBytes?: number;
  responsesMaxAgeSeconds?: number;
  responsesDir?: string | null;
  /** A Responses request with a tool the server cannot run (web_search, …): 400, or dropped with a Warning header. */
  responsesUnsupportedTools?: UnsupportedTools;
}

export interface RunningServer {
  url: string;
  port: number;
  host: ModelHost;
  /** Settles when the model serves (or failed to load). */
  ready: Promise<Served>;
  stop(): Promise<void>;
}

/** What the server is given: how to open its model; where it reports (log lines, load progress). */
export interface ServerIo {
  open: (onProgress: (p: LoadProgress) => void) => Promise<LoadedModel>;
  log?: (line: string) => void;
  progress?: { update(p: LoadProgress): void; finish(): void };
}

export async function startServer(o: ServerOptions, rt: Runtime, io: ServerIo): Promise<RunningServer> {
  const log = io.log ?? ((line: string) => { process.stderr.write(`${line}\n`); });
  const bar = io.progress ?? { update() {}, finish() {} };
  const host = new ModelHost({ parallel: o.parallel, maxQueue: o.maxQueue, promptCacheBytes: o.promptCacheBytes, aliases: o.aliases, reasoningBudget: o.reasoningBudget });
  const ui = o.ui !== false;
  if (o.replicaId) setIdTag(o.replicaId); // one server a process: the tag is the process's
  const store = new ResponseStore({
    maxBytes: o.responsesMaxBytes ?? STORE_DEFAULTS.maxMb * 2 ** 20, maxAgeSeconds: o.responsesMaxAgeSeconds ?? STORE_DEFAULTS.maxAgeSeconds, dir: o.responsesDir ?? null,
  });
  const responses = { store, unsupportedTools: o.responsesUnsupportedTools ?? 'reject' };
  const app = createApp({ host, apiKey: o.apiKey, corsOrigin: o.corsOrigin, maxBodyBytes: o.maxBodyBytes, limits: o.limits, log, ui, responses, accessLog: o.logFormat ?? DEFAULT_LOG_FORMAT, replicaId: o.replicaId });
  const listener = await rt.listen(app.fetch, { hostname: o.host, port: o.port });
  const memory = governMemory(rt);
  const url = `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${listener.port}`;
  log(`oss-edge (${rt.name})${o.replicaId ? ` replica ${o.replicaId}` : ''} listening on ${url} — ${ui ? `chat at ${url}/, ` : ''}OpenAI API at ${url}/v1, Ollama API at ${url}/api, health at ${url}/health`);
  const ready = host.load((onProgress) => io.open((p) => { onProgress(p); bar.update(p); })).then((served) => {
    bar.finish();
    announce(served, url, log);
    return served;
  });
  ready.catch(() => bar.finish());
  return {
    url, port: listener.port, host, ready,
    async stop() {
      memory.stop();
      await listener.stop();
      host.close();
    },
  };
}

function announce({ model: m, scheduler: s }: Served, url: string, log: (line: string) => void): void {
  if (m.demo) {
    const lines = ['DEMO MODEL: random weights generated for testing. Every reply is noise.',
      'Real weights: npx bun src/cli.ts pull gpt-oss-20b   (12 GB from Hugging Face, once)',
      '        then: npx bun run serve -- --model gpt-oss-20b',
      'or serve a checkpoint you have with --model PATH (a .gguf file or an HF folder).'];
    const w = Math.max(...lines.map((l) => l.length));
    log(['', `╔${'═'.repeat(w + 2)}╗`, ...lines.map((l) => `║ ${l.padEnd(w)} ║`), `╚${'═'.repeat(w + 2)}╝`].join('\n'));
  }
  log(`ready: model \`${m.id}\` from ${m.source} — ${m.backend.name} backend (${m.backend.reason}), ${m.backend.threads} threads, ${(m.backend.weightBytes / 1e6).toFixed(1)} MB of weights, `
    + `context ${m.context}, ${s.slots} slots`);
  log(`try: curl -N ${url}/v1/chat/completions -H 'Content-Type: application/json' -d '{"model":"${m.id}","stream":true,"max_tokens":200,"messages":[{"role":"user","content":"Hello"}]}'`);
}
