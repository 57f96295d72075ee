// Deno runtime for the server (`npx deno run -A src/cli.ts serve [flags]`, the same flags as
// `bun run serve`; npm packages resolve from node_modules, so run `npm ci` first).
import type { Listener, Runtime } from './runtime.ts';

// The few Deno APIs used here (the project is type-checked against Bun's types).
declare const Deno: {
  version: { deno: string };
  serve(o: { hostname: string; port: number; onListen?: () => void }, fetch: (r: Request) => Response | Promise<Response>): { addr: { port: number }; shutdown(): Promise<void> };
  addSignalListener(signal: 'SIGINT' | 'SIGTERM', handler: () => void): void;
  removeSignalListener(signal: 'SIGINT' | 'SIGTERM', handler: () => void): void;
};

export const denoRuntime: Runtime = {
  name: `deno ${Deno.version.deno}`,
  async listen(fetch, o): Promise<Listener> {
    const server = Deno.serve({ hostname: o.hostname, port: o.port, onListen: () => {} }, fetch);
    return { port: server.addr.port, stop: () => server.shutdown() };
  },
  onShutdown(handler) {
    const once = () => { Deno.removeSignalListener('SIGINT', once); Deno.removeSignalListener('SIGTERM', once); handler(); };
    Deno.addSignalListener('SIGINT', once);
    Deno.addSignalListener('SIGTERM', once);
  },
};
