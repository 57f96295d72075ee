// Starts the service: listen first (so /health answers 503 with progress while loading), then load
// the model and serve it. Runtime-free: the caller passes the Runtime.
import { loadModel, type BackendChoice, type LoadProgress } from '../generate/index.ts';
import { createApp } from './app.ts';
import { ModelHost, type Served } from './host.ts';
import type { Limits } from './limits.ts';
import { governMemory } from './memory.ts';
import type { Runtime } from './runtime.ts';

export interface ServerOptions {
  /** A .gguf file or an HF folder; null serves the demo checkpoint. */
  model: string | null;
  host: string;
  port: number;
  threads?: number;
  backend: BackendChoice;
  /** exact | fast (default fast, see generate/load.ts). */
  precision?: 'exact' | 'fast';
  /** Re-quantise float weight matrices to Q8_0 at load. */
  denseQ8?: boolean;
  /** Context length per slot (default: the engine's, 4096). */
  ctx?: number;
  apiKey?: string;
  corsOrigin?: string;
  maxQueue: number;
  /** Concurrent generations (slots). */
  parallel: number;
  maxBodyBytes?: number;
  /** Request limits (limits.ts, one `serve` flag each); unset ones take their defaults. */
  limits?: Partial<Limits>;
}

export interface RunningServer {
  url: string;
  port: number;
  host: ModelHost;
  /** Settles when the model serves (or failed to load). */
  ready: Promise<Served>;
  stop(): Promise<void>;
}

/** Where the server reports: log lines, and the load progress (a bar on a terminal, the CLI's). */
export interface ServerIo {
  log?: (line: string) => void;
  progress?: { update(p: LoadProgress): void; finish(): void };
}

export async function startServer(o: ServerOptions, rt: Runtime, io: ServerIo = {}): Promise<RunningServer> {
  const log = io.log ?? ((line: string) => { process.stderr.write(`${line}\n`); });
  const bar = io.progress ?? { update() {}, finish() {} };
  const host = new ModelHost({ parallel: o.parallel, maxQueue: o.maxQueue });
  const app = createApp({ host, apiKey: o.apiKey, corsOrigin: o.corsOrigin, maxBodyBytes: o.maxBodyBytes, limits: o.limits, log });
  const listener = await rt.listen(app.fetch, { hostname: o.host, port: o.port });
  const memory = governMemory(rt);
  const url = `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${listener.port}`;
  log(`oss-edge (${rt.name}) listening on ${url} — OpenAI API at ${url}/v1, health at ${url}/health`);
  const ready = host.load((onProgress) => loadModel(o.model, {
    threads: o.threads, context: o.ctx, backend: o.backend, precision: o.precision, denseQ8: o.denseQ8, progress: (p) => { onProgress(p); bar.update(p); },
  })).then((served) => {
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
      'Serve a real gpt-oss checkpoint with --model PATH (a .gguf file or an HF folder).'];
    const w = Math.max(...lines.map((l) => l.length));
    log(['', `╔${'═'.repeat(w + 2)}╗`, ...lines.map((l) => `║ ${l.padEnd(w)} ║`), `╚${'═'.repeat(w + 2)}╝`].join('\n'));
  }
  log(`ready: model \`${m.id}\` from ${m.source} — ${m.backend.name} backend (${m.backend.reason}), ${m.backend.threads} threads, ${(m.backend.weightBytes / 1e6).toFixed(1)} MB of weights, `
    + `context ${m.context}, ${s.slots} slots`);
  log(`try: curl -N ${url}/v1/chat/completions -H 'Content-Type: application/json' -d '{"model":"${m.id}","stream":true,"messages":[{"role":"user","content":"Hello"}]}'`);
}
