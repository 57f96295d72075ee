// What the server needs from a JavaScript runtime, owned here and implemented by the thin entries
// runtime.bun.ts and runtime.deno.ts. Nothing else in server/ touches `Bun` or `Deno`.

export type Fetch = (request: Request) => Response | Promise<Response>;

export interface Listener {
  /** The bound port (the real one when 0 was asked for). */
  readonly port: number;
  /** Stops accepting and closes open connections. */
  stop(): Promise<void>;
}

export interface Runtime {
  readonly name: string;
  listen(fetch: Fetch, o: { hostname: string; port: number }): Promise<Listener>;
  /** Calls `handler` once on SIGINT or SIGTERM. */
  onShutdown(handler: () => void): void;
  /** A full, synchronous garbage collection, where the runtime offers one (memory.ts). */
  collectGarbage?(): void;
}
