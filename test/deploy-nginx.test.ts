// deploy/: 3 demo replicas behind nginx on loopback, started by deploy/run.ts as a user would.
// Traffic without a key reaches every replica; a session (X-Session-Id, or the body's `user`)
// sticks to one; an id minted by a replica routes back to it; SSE passes through unbuffered;
// killing a replica mid-stream ends that stream promptly, the others take the new requests and
// run.ts restarts it;
// what Bun's HTTP layer answers badly (an unknown method, oversized headers) nginx answers in JSON.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { replicaFlags, runArgs } from '../deploy/run.ts';
import { renderNginxConf } from '../deploy/nginx.ts';
import { UsageError } from '../src/cli/args.ts';
import { NGINX, requires } from './helpers/requirements.ts';

const ROOT = join(import.meta.dir, '..');
const run = requires(NGINX, 'deploy/ (nginx in front of 3 replicas)');

/** A port free a moment ago (nginx cannot be asked for port 0 and say which it got). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

let proc: ReturnType<typeof Bun.spawn>;
let log = '';
let url = '';
let killedTag = '';

/** The pid run.ts last reported for each replica tag (a restarted replica is reported again). */
const pids = (): Map<string, number> => new Map([...log.matchAll(/deploy: replica (r\d) pid (\d+)/g)].map((m) => [m[1], Number(m[2])]));
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

const chat = (extra: object, headers: Record<string, string> = {}) => fetch(`${url}/v1/chat/completions`, {
  method: 'POST', headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify({ model: 'oss-edge-demo', max_tokens: 1, messages: [{ role: 'user', content: 'hi' }], ...extra }),
});

/** One request over a plain socket: fetch does not send a method it does not know as it is. */
function raw(method: string, path: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    let text = '';
    const s = connect(Number(port), '127.0.0.1', () => s.write(`${method} ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`));
    s.setTimeout(5_000, () => s.destroy(new Error(`no answer to ${method} ${path} in 5 s`)));
    s.on('data', (d) => { text += d.toString(); }).on('error', reject).on('close', () => {
      const [head, ...body] = text.split('\r\n\r\n');
      const [statusLine, ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: body.join('\r\n\r\n') });
    });
  });
}

async function replicaOf(r: Promise<Response>): Promise<string> {
  const res = await r;
  expect(res.status).toBe(200);
  await res.arrayBuffer();
  return res.headers.get('x-replica') ?? 'none';
}

describe('deploy/run.ts flags and the rendered config (no nginx needed)', () => {
  test('flags: replicas, listen, base port; serve flags after --, except the ones run.ts sets', () => {
    expect(runArgs(['--replicas', '2', '--listen', '0.0.0.0:8080', '--', '--threads', '4'])).toEqual({ replicas: 2, listen: '0.0.0.0:8080', basePort: null, healthIntervalS: 10, serve: ['--threads', '4'] });
    expect(runArgs(['--replicas', '3', '--listen', '[::1]:80', '--base-port', '9000']).basePort).toBe(9000);
    for (const argv of [[], ['--replicas', '0', '--listen', 'h:1'], ['--replicas', '2'], ['--replicas', '2', '--listen', 'nohost'], ['--replicas', '2', '--listen', 'h:1', '--threads', '2'],
      ['--replicas', '2', '--listen', 'h:1', '--', '--port', '9'], ['--replicas', '2', '--listen', 'h:1', '--', '--replica-id', 'x'], ['--replicas', '3', '--listen', 'h:1', '--base-port', '65534'], ['--replicas', '2', '--listen', 'h:1', '--health-interval', '-1']]) {
      expect(() => runArgs(argv)).toThrow(UsageError);
    }
  });
  test('--responses-dir D: replica TAG keeps its stored responses in D/TAG (found again after a restart)', () => {
    expect(replicaFlags(['--threads', '2', '--responses-dir', '/srv/r', '--x'], 'r1')).toEqual(['--threads', '2', '--responses-dir', '/srv/r/r1', '--x']);
    expect(replicaFlags(['--responses-dir=/srv/r'], 'r0')).toEqual(['--responses-dir=/srv/r/r0']);
    expect(replicaFlags(['--model', 'm'], 'r0')).toEqual(['--model', 'm']);
  });
  test('the config: every field filled, every replica in both rings and first in its own upstream', () => {
    const replicas = [{ tag: 'r0', host: '127.0.0.1', port: 9000 }, { tag: 'r1', host: '::1', port: 9001 }];
    const conf = renderNginxConf({ listen: '127.0.0.1:8080', replicas, dir: '/tmp/x', maxBodyBytes: 12345 });
    expect(conf).not.toMatch(/\{\{/);
    expect(conf).toContain('client_max_body_size 12345;');
    for (const up of ['keyed', 'balanced']) {
      const block = new RegExp(`upstream ${up} \\{[^}]*\\}`).exec(conf)![0];
      expect(block).toContain('server 127.0.0.1:9000 ');
      expect(block).toContain('server [::1]:9001 ');
    }
    expect(/upstream replica_r1 \{[^}]*\}/.exec(conf)![0]).toMatch(/server \[::1\]:9001 [^;]*;\s*server 127\.0\.0\.1:9000 [^;]*backup;/);
  });
});

describe.if(run)('nginx in front of 3 replicas (deploy/run.ts)', () => {
  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    proc = Bun.spawn([process.execPath, 'deploy/run.ts', '--replicas', '3', '--listen', `127.0.0.1:${port}`, '--health-interval', '1', '--', '--threads', '1', '--parallel', '2'], {
      cwd: ROOT, stdout: 'ignore', stderr: 'pipe', env: { ...process.env, OSS_EDGE_MODEL: '', OSS_EDGE_API_KEY: undefined },
    });
    const reader = (proc.stderr as ReadableStream<Uint8Array>).getReader();
    void (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        log += new TextDecoder().decode(value);
      }
    })();
    const deadline = Date.now() + 60_000;
    while (!/deploy: nginx pid \d+/.test(log)) {
      if (proc.exitCode !== null) throw new Error(`deploy/run.ts exited (${proc.exitCode}) before nginx started:\n${log}`);
      if (Date.now() > deadline) throw new Error(`deploy/run.ts did not start nginx within 60 s:\n${log}`);
      await Bun.sleep(50);
    }
    for (;;) { // nginx binds a moment after it is spawned
      if ((await fetch(`${url}/health`).catch(() => null))?.status === 200) break;
      if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`nginx never answered /health:\n${log}`);
      await Bun.sleep(50);
    }
  }, 90_000);

  afterAll(async () => {
    if (!proc) return;
    const children = [...pids().values(), Number(/deploy: nginx pid (\d+)/.exec(log)?.[1])];
    proc.kill('SIGINT');
    const code = await Promise.race([proc.exited, Bun.sleep(10_000).then(() => 'hung')]);
    if (code === 'hung') proc.kill('SIGKILL');
    expect(code).toBe(0);
    await Bun.sleep(100);
    expect(children.filter(alive)).toEqual([]); // run.ts stops nginx and every replica
  }, 20_000);

  test('requests without a key reach every replica; ids carry the replica tag', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const res = await chat({});
      expect(res.status).toBe(200);
      const tag = res.headers.get('x-replica')!;
      expect((await res.json()).id).toMatch(new RegExp(`^chatcmpl-${tag}_[0-9a-f]{24}$`));
      seen.add(tag);
    }
    expect([...seen].sort()).toEqual(['r0', 'r1', 'r2']);
  }, 30_000);

  test('a session sticks to one replica (X-Session-Id, else the body\'s prompt_cache_key, else its user), and sessions spread', async () => {
    for (const key of ['alpha', 'beta']) {
      const bySession = new Set(await Promise.all(Array.from({ length: 6 }, () => replicaOf(chat({}, { 'X-Session-Id': key })))));
      expect(bySession.size).toBe(1);
      const byUser = new Set(await Promise.all(Array.from({ length: 6 }, () => replicaOf(chat({ user: key })))));
      expect(byUser.size).toBe(1);
      const byCacheKey = new Set(await Promise.all(Array.from({ length: 6 }, (_, i) => replicaOf(chat({ prompt_cache_key: key, user: `u${i}` })))));
      expect(byCacheKey.size).toBe(1);
    }
    // the key is used, not ignored: 12 sessions land on more than one replica
    const spread = new Set(await Promise.all(Array.from({ length: 12 }, (_, i) => replicaOf(chat({}, { 'X-Session-Id': `s${i}` })))));
    expect(spread.size).toBeGreaterThan(1);
    // the header wins over the body: one session id with 4 users stays on one replica
    const mixed = new Set(await Promise.all(['u1', 'u2', 'u3', 'u4'].map((u) => replicaOf(chat({ user: u }, { 'X-Session-Id': 'gamma' })))));
    expect(mixed.size).toBe(1);
  }, 30_000);

  test('previous_response_id = resp_TAG_… goes to replica TAG, whatever the session key says', async () => {
    for (const tag of ['r0', 'r1', 'r2']) {
      for (let i = 0; i < 3; i++) {
        const id = `resp_${tag}_${crypto.getRandomValues(new Uint8Array(12)).reduce((s, b) => s + b.toString(16).padStart(2, '0'), '')}`;
        expect(await replicaOf(chat({ previous_response_id: id, user: `u${i}` }))).toBe(tag);
      }
    }
    // a tag no replica has is no route: the request is balanced as usual
    expect(await replicaOf(chat({ previous_response_id: 'resp_r9_0123456789abcdef01234567' }))).toMatch(/^r[012]$/);
  }, 30_000);

  test('a stored response is found through nginx: continued with previous_response_id, read and deleted by id', async () => {
    const respond = (extra: object) => fetch(`${url}/v1/responses`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'oss-edge-demo', input: 'hi', max_output_tokens: 2, ...extra }),
    });
    const first = await respond({});
    expect(first.status).toBe(200);
    const tag = first.headers.get('x-replica')!;
    const { id } = await first.json() as { id: string };
    expect(id).toMatch(new RegExp(`^resp_${tag}_[0-9a-f]{24}$`));
    for (let i = 0; i < 3; i++) { // only its replica holds it: any other would answer "not found"
      const next = await respond({ previous_response_id: id, user: `u${i}` });
      expect(next.status).toBe(200);
      expect(next.headers.get('x-replica')).toBe(tag);
      await next.arrayBuffer();
    }
    for (const path of [`/v1/responses/${id}`, `/v1/responses/${id}/input_items`]) {
      const got = await fetch(`${url}${path}`);
      expect(got.status).toBe(200);
      expect(got.headers.get('x-replica')).toBe(tag);
      await got.arrayBuffer();
    }
    expect((await fetch(`${url}/v1/responses/${id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await fetch(`${url}/v1/responses/${id}`)).status).toBe(404);
  }, 30_000);

  test('SSE passes through unbuffered: the first chunk arrives long before the stream ends', async () => {
    const t0 = performance.now();
    const res = await chat({ stream: true, max_tokens: 120, temperature: 0 });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '', reads = 0, first = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!reads++) first = performance.now() - t0;
      text += new TextDecoder().decode(value);
    }
    const total = performance.now() - t0;
    expect(text).toContain('data: [DONE]');
    expect(reads).toBeGreaterThan(20); // frames came in many deliveries, not one buffered block
    expect(first).toBeLessThan(total / 2);
  }, 30_000);

  test('killing a replica mid-stream ends its stream within seconds; new requests succeed on the others', async () => {
    const res = await chat({ stream: true, max_tokens: 4000 }, { 'X-Session-Id': 'doomed' });
    expect(res.status).toBe(200);
    const tag = res.headers.get('x-replica')!;
    killedTag = tag;
    const victim = pids().get(tag)!;
    const reader = res.body!.getReader();
    let text = '';
    while ((text.match(/^data: /gm) ?? []).length < 5) text += new TextDecoder().decode((await reader.read()).value);
    process.kill(victim, 'SIGKILL');
    const killed = performance.now();
    // sent the moment it dies (some on nginx's idle keepalive connections to it): none may fail —
    // unkeyed, the dead replica's own session (moved along the ring), and ids it minted (its backups)
    const after = Promise.all([...Array.from({ length: 6 }, () => replicaOf(chat({}))),
      ...Array.from({ length: 3 }, () => replicaOf(chat({}, { 'X-Session-Id': 'doomed' })))],
      ...Array.from({ length: 3 }, () => replicaOf(chat({ previous_response_id: `resp_${tag}_0123456789abcdef01234567` }))));
    let ended: 'error' | 'end' | 'hang' = 'hang';
    const drain = (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) { ended = 'end'; return; }
          text += new TextDecoder().decode(value);
        }
      } catch { ended = 'error'; }
    })();
    await Promise.race([drain, Bun.sleep(5_000)]);
    // nginx cuts the client's connection mid-chunk: every HTTP client reports that as an error,
    // never as a clean end of stream
    expect(ended).toBe('error');
    expect(performance.now() - killed).toBeLessThan(5_000);
    expect(text).not.toContain('data: [DONE]'); // cut short, never passed off as a finished answer
    expect((await after).filter((t) => t === tag)).toEqual([]);
    // run.ts restarts the dead replica on its port
    const deadline = Date.now() + 20_000;
    while (!(pids().get(tag) !== victim && alive(pids().get(tag)!))) {
      if (Date.now() > deadline) throw new Error(`replica ${tag} was not restarted within 20 s:\n${log.slice(-2000)}`);
      await Bun.sleep(100);
    }
    const port = new RegExp(`deploy: replica ${tag} pid ${pids().get(tag)} on 127\\.0\\.0\\.1:(\\d+)`).exec(log)![1];
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  }, 40_000);

  test('a replica that stops answering (SIGSTOP) is killed; a request caught on it is answered by another', async () => {
    // not the replica killed above: nginx still leaves that one out (fail_timeout) and would not wait on it
    const tag = ['r0', 'r1', 'r2'].find((t) => t !== killedTag)!, victim = pids().get(tag)!;
    expect(alive(victim)).toBe(true);
    process.kill(victim, 'SIGSTOP');
    try {
      // its ids route to it: the request waits on the hung replica until run.ts kills it, then
      // nginx sends it to a backup (it never answered, within proxy_next_upstream_timeout)
      const t0 = performance.now();
      expect(await replicaOf(chat({ previous_response_id: `resp_${tag}_0123456789abcdef01234567` }))).not.toBe(tag);
      expect(performance.now() - t0).toBeLessThan(10_000);
      expect(log).toContain(`deploy: replica ${tag} (pid ${victim}) did not answer /health within 1 s, 3 times in a row: killing it`);
      expect(alive(victim)).toBe(false); // (restarting it is the test above's)
    } finally {
      if (alive(victim)) process.kill(victim, 'SIGKILL');
    }
  }, 40_000);

  test('what Bun answers badly, nginx answers in JSON: an unknown method → 405 + Allow, oversized headers → 431', async () => {
    const foo = await raw('FOO', '/v1/models');
    expect(foo.status).toBe(405);
    expect(foo.headers.allow).toBe('GET, HEAD, OPTIONS'); // the replica's own route table
    expect(JSON.parse(foo.body)).toMatchObject({ error: { type: 'invalid_request_error', code: 'method_not_allowed' } });
    const nowhere = await raw('FOO', '/v1/nowhere');
    expect(nowhere.status).toBe(404);
    expect(JSON.parse(nowhere.body)).toMatchObject({ error: { code: 'not_found' } });
    const inside = await fetch(`${url}/_allow/v1/models`); // nginx's own internal location
    expect(inside.status).toBe(404);
    expect(await inside.json()).toMatchObject({ error: { code: 'not_found' } });
    const big = await fetch(`${url}/health`, { headers: { 'X-Big': 'a'.repeat(20_000) } });
    expect(big.status).toBe(431);
    expect(await big.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'headers_too_large' } });
    // under nginx's 16 KiB line limit, the replica's own limit (8 KiB) answers, also in JSON
    const mid = await fetch(`${url}/health`, { headers: { 'X-Big': 'a'.repeat(10_000) } });
    expect(mid.status).toBe(431);
    expect(mid.headers.get('x-replica')).toMatch(/^r[012]$/);
  }, 30_000);
});
