// Bun runtime for the server (the primary one: `bun run serve` → src/cli/serve.ts picks it).
import type { Listener, Runtime } from './runtime.ts';

export const bunRuntime: Runtime = {
  name: `bun ${Bun.version}`,
  async listen(fetch, o): Promise<Listener> {
    const server = Bun.serve({ fetch, hostname: o.hostname, port: o.port, idleTimeout: idleTimeoutSeconds() });
    return { port: server.port ?? o.port, stop: async () => { await server.stop(true); } };
  },
  onShutdown(handler) {
    const once = () => { process.off('SIGINT', once); process.off('SIGTERM', once); handler(); };
    process.on('SIGINT', once);
    process.on('SIGTERM', once);
  },
  collectGarbage() {
    Bun.gc(true);
  },
};

/**
 * Quirk, Bun 1.x (seen on 1.4.5): Bun.serve closes a connection after 10 s without bytes
 * (`idleTimeout`), which cuts a request waiting in the queue or prefilling a long prompt on a slow
 * CPU. 0 turns the timeout off; a client that leaves is still seen at once.
 */
function idleTimeoutSeconds(): number {
  return 0;
}
