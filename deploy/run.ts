// `bun deploy/run.ts --replicas N --listen HOST:PORT [--base-port P] -- [serve flags]`: N `serve`
// replicas on loopback (tags r0…rN-1), nginx in front of them (deploy/nginx.conf.template), in the
// foreground. Signals go to every child; a replica that dies after it served is restarted on its
// port (with a growing delay), and one that stops answering /health (hung: nginx's passive checks
// only see refused connections and timeouts, an hour for a stream) is killed first; nginx exiting,
// or a signal, stops everything.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { int, parseArgs, str, UsageError } from '../src/cli/args.ts';
import { nginxPath, renderNginxConf, type Replica } from './nginx.ts';

const USAGE = `usage: bun deploy/run.ts --replicas N --listen HOST:PORT [--base-port P] [--health-interval S] -- [serve flags]
  --replicas N     serve processes, tagged r0…r(N-1) (serve --replica-id)
  --listen H:P     where nginx listens (clients connect here)
  --base-port P    replica i listens on 127.0.0.1:P+i (default: free ports)
  --health-interval S  GET /health on each replica every S seconds; one that answers nothing
                   (any status counts) 3 times in a row is killed and restarted (default 10; 0: off)
after --: flags for every replica (serve --help), except --host, --port and --replica-id;
  --responses-dir D gives replica rN the folder D/rN`;

const ROOT = join(import.meta.dir, '..');
const OWNED = ['host', 'port', 'replica-id'];

export interface RunArgs { replicas: number; listen: string; basePort: number | null; healthIntervalS: number; serve: string[] }

export function runArgs(argv: string[]): RunArgs {
  const cut = argv.indexOf('--');
  const own = parseArgs(cut < 0 ? argv : argv.slice(0, cut));
  const serve = cut < 0 ? [] : argv.slice(cut + 1);
  for (const f of own.flags.keys()) if (!['replicas', 'listen', 'base-port', 'health-interval'].includes(f)) throw new UsageError(`unknown flag --${f} (serve's flags go after --)`);
  if (own.rest.length) throw new UsageError(`unexpected argument ${own.rest[0]}`);
  const taken = parseArgs(serve).flags;
  for (const f of OWNED) if (taken.has(f)) throw new UsageError(`--${f} is set by deploy/run.ts for each replica; leave it out of the serve flags`);
  const replicas = int(own, 'replicas', 0);
  if (replicas < 1 || replicas > 64) throw new UsageError(`--replicas must be 1 to 64, got ${replicas}`);
  const listen = str(own, 'listen');
  if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(listen)) throw new UsageError(`--listen needs HOST:PORT, got ${listen}`);
  const base = own.flags.has('base-port') ? int(own, 'base-port', 0) : null;
  if (base !== null && (base < 1 || base + replicas - 1 > 65535)) throw new UsageError(`--base-port ${base} leaves no room for ${replicas} ports`);
  const healthIntervalS = int(own, 'health-interval', 10);
  if (healthIntervalS < 0) throw new UsageError(`--health-interval must be 0 (off) or more seconds, got ${healthIntervalS}`);
  return { replicas, listen, basePort: base, healthIntervalS, serve };
}

/**
 * The serve flags of replica `tag`: a --responses-dir D becomes D/TAG — each replica its own
 * folder (a store sweeps its folder by its own budget and reads it only at start, so a shared one
 * would lose responses), and a replica restarted under its tag gets its stored responses back.
 */
export function replicaFlags(serve: string[], tag: string): string[] {
  return serve.flatMap((f, i) => {
    if (f.startsWith('--responses-dir=')) return [`--responses-dir=${join(f.slice('--responses-dir='.length), tag)}`];
    if (serve[i - 1] === '--responses-dir' && !f.startsWith('--')) return [join(f, tag)];
    return [f];
  });
}

interface Running { tag: string; port: number; child: ChildProcess; ready: Promise<void>; served: boolean }

/** Starts one replica; resolves once it listens (its port known). Its stderr goes to ours, prefixed. */
function startReplica(tag: string, port: number, serve: string[], children: Set<ChildProcess>): Promise<Running> {
  const child = spawn(process.execPath, ['src/cli.ts', 'serve', ...replicaFlags(serve, tag), '--host', '127.0.0.1', '--port', String(port), '--replica-id', tag],
    { cwd: ROOT, stdio: ['ignore', 'inherit', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    let buf = '', running: Running | null = null, markReady: () => void = () => {}, failReady: (e: Error) => void = () => {};
    child.stderr!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        process.stderr.write(`[${tag}] ${line}\n`);
        const listening = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
        if (listening && !running) {
          running = { tag, port: Number(listening[1]), child, served: false, ready: new Promise((ok, fail) => { markReady = ok; failReady = fail; }) };
          running.ready.catch(() => {}); // handled where it is awaited; never an unhandled rejection meanwhile
          resolve(running);
        }
        if (running && /^ready: /.test(line)) { running.served = true; markReady(); }
      }
    });
    child.once('exit', (code, signal) => {
      if (!running) reject(new Error(`replica ${tag} exited (${signal ?? code}) before it listened`));
      else if (!running.served) failReady(new Error(`replica ${tag} exited (${signal ?? code}) before it was ready`));
    });
  });
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--help') { console.log(USAGE); return 0; }
  let a: RunArgs;
  try { a = runArgs(argv); } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`deploy: ${e.message}\n${USAGE}`);
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), 'oss-edge-nginx-'));
  chmodSync(dir, 0o755); // nginx's workers (user nobody when started as root) use its temp folders
  const replicas: Running[] = [];
  const children = new Set<ChildProcess>(); // every replica process alive, restarts still loading included
  let stopping = false, nginx: ChildProcess | null = null;
  const stopAll = async () => {
    stopping = true;
    const exits = [nginx, ...children].filter((c): c is ChildProcess => c?.pid !== undefined && c.exitCode === null && c.signalCode === null) // (no pid: never started)
      .map((c) => new Promise((r) => { c.once('exit', r); c.kill(c === nginx ? 'SIGTERM' : 'SIGINT'); }));
    await Promise.all(exits);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < a.replicas; i++) replicas.push(await startReplica(`r${i}`, a.basePort === null ? 0 : a.basePort + i, a.serve, children));
    await Promise.all(replicas.map((r) => r.ready));
  } catch (e) {
    console.error(`deploy: ${(e as Error).message}`);
    await stopAll();
    return 1;
  }
  const conf: Replica[] = replicas.map((r) => ({ tag: r.tag, host: '127.0.0.1', port: r.port }));
  const maxBody = parseArgs(a.serve).flags.get('max-body'); // nginx holds the same limit (the replicas checked the number)
  writeFileSync(join(dir, 'nginx.conf'), renderNginxConf({ listen: a.listen, replicas: conf, dir, ...(typeof maxBody === 'string' ? { maxBodyBytes: Number(maxBody) } : {}) }));
  for (const r of replicas) { watch(r); void probe(r); }
  nginx = spawn(nginxPath(), ['-p', dir, '-c', 'nginx.conf', '-g', 'daemon off;'], { stdio: ['ignore', 'inherit', 'inherit'] });
  for (const r of replicas) console.error(`deploy: replica ${r.tag} pid ${r.child.pid} on 127.0.0.1:${r.port}`);
  if (nginx.pid !== undefined) console.error(`deploy: nginx pid ${nginx.pid} on http://${a.listen} → ${replicas.length} replicas (config ${dir}/nginx.conf)`);

  const done = new Promise<number>((resolve) => {
    nginx!.once('error', (e) => { // not started (an 'exit' may not follow)
      console.error(`deploy: cannot run ${nginxPath()} (${e.message}); Debian: apt-get install nginx libnginx-mod-http-js`);
      void stopAll().then(() => resolve(1));
    });
    nginx!.once('exit', (code, signal) => {
      if (!stopping) console.error(`deploy: nginx exited (${signal ?? code}); stopping the replicas`);
      void stopAll().then(() => resolve(stopping && signal === 'SIGTERM' ? 0 : (code ?? 1)));
    });
    const onSignal = () => { if (!stopping) void stopAll(); };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', () => nginx?.kill('SIGHUP')); // nginx re-reads its config
  });
  return done;

  /**
   * Restarts `r` on its port whenever it exits outside a shutdown: after 1 s if it had served, else
   * after twice the last wait (up to 30 s), so a replica that cannot load does not spin.
   */
  function watch(r: Running, lastDelayMs = 500): void {
    r.child.once('exit', (code, signal) => {
      if (stopping) return;
      const delayMs = r.served ? 1000 : Math.min(lastDelayMs * 2, 30_000);
      console.error(`deploy: replica ${r.tag} exited (${signal ?? code}); restarting it on port ${r.port} in ${delayMs / 1000} s`);
      restart(r, delayMs);
    });
  }

  /** Kills `r` (watch() restarts it) when its /health answers nothing 3 times in a row. */
  async function probe(r: Running): Promise<void> {
    const ms = a.healthIntervalS * 1000;
    if (!ms) return;
    const exited = () => r.child.exitCode !== null || r.child.signalCode !== null;
    for (let misses = 0, next = Date.now() + ms; !stopping && !exited(); next += ms) {
      await new Promise((t) => setTimeout(t, Math.max(0, next - Date.now()))); // one probe per interval, its wait included
      if (stopping || exited()) return;
      const answered = await fetch(`http://127.0.0.1:${r.port}/health`, { signal: AbortSignal.timeout(ms) })
        .then(async (res) => { await res.arrayBuffer(); return true; }, () => false);
      misses = answered ? 0 : misses + 1;
      if (misses === 3) {
        console.error(`deploy: replica ${r.tag} (pid ${r.child.pid}) did not answer /health within ${a.healthIntervalS} s, 3 times in a row: killing it`);
        r.child.kill('SIGKILL');
        return;
      }
    }
  }

  /** A replica that cannot even listen again is retried after twice the wait, up to 30 s. */
  function restart(r: Running, delayMs: number): void {
    setTimeout(() => {
      if (stopping) return;
      startReplica(r.tag, r.port, a.serve, children).then((next) => {
        replicas[replicas.indexOf(r)] = next;
        next.ready.then(() => {
          console.error(`deploy: replica ${r.tag} pid ${next.child.pid} on 127.0.0.1:${next.port}`);
          void probe(next);
        }, () => {});
        watch(next, delayMs);
      }, (e) => {
        console.error(`deploy: ${(e as Error).message}; trying again in ${Math.min(delayMs * 2, 30_000) / 1000} s`);
        restart(r, Math.min(delayMs * 2, 30_000));
      });
    }, delayMs);
  }
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
