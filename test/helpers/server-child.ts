// `bun src/cli.ts serve` as a child process on a free loopback port (the demo checkpoint unless
// --model is given): for tests that need the server's own RSS, or an event loop apart from the
// test's (so a blocked server shows up as late answers, not as a stalled test).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dir, '..', '..');

export interface ChildServer {
  url: string;
  pid: number;
  /** Resident set size of the server process, in MiB (from /proc). */
  rssMiB(): number;
  /** What the server printed on stderr so far. */
  log(): string;
  stop(): Promise<number>;
}

export async function startChildServer(args: string[], env: Record<string, string> = {}): Promise<ChildServer> {
  const p = Bun.spawn([process.execPath, 'src/cli.ts', 'serve', '--port', '0', ...args], {
    cwd: ROOT, stdout: 'ignore', stderr: 'pipe', env: { ...process.env, OSS_EDGE_MODEL: '', OSS_EDGE_API_KEY: undefined, ...env },
  });
  let log = '';
  const reader = p.stderr.getReader();
  const pump = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      log += new TextDecoder().decode(value);
    }
  })();
  while (!/^ready: /m.test(log)) {
    if (p.exitCode !== null) throw new Error(`the server exited (${p.exitCode}) before it was ready:\n${log}`);
    await Bun.sleep(20);
  }
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log)![1];
  return {
    url, pid: p.pid, log: () => log,
    rssMiB: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p.pid}/status`, 'utf8'))![1]) / 1024,
    async stop() {
      p.kill('SIGINT');
      const code = await p.exited;
      await pump;
      return code;
    },
  };
}
