// The runtime entries as a user starts them: `bun src/cli.ts serve` (what `bun run serve` runs) and
// `deno run -A src/cli.ts serve`, both without --model (the demo checkpoint), on a free port:
// ready line, a streamed completion, the demo notice in /v1/models, clean exit on SIGINT.
import { afterAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { denoPath } from '../src/backends/remote/remote-backend.ts';
import { DENO, requires } from './helpers/requirements.ts';

const ROOT = join(import.meta.dir, '..');
const runDeno = requires(DENO, 'deno run -A src/cli.ts serve');

// No deadline to get ready: the server is awaited until its ready line or its exit (the test's own
// limit stops a hang); whatever is still running when the file ends is killed here.
const started = new Set<ReturnType<typeof Bun.spawn>>();
afterAll(() => { for (const p of started) p.kill(); });

async function serveAndProbe(cmd: string[]) {
  const p = Bun.spawn(cmd, { cwd: ROOT, stdout: 'pipe', stderr: 'pipe', env: { ...process.env, OSS_EDGE_MODEL: '' } });
  started.add(p);
  const reader = p.stderr.getReader();
  let log = '';
  try {
    while (!/^ready: /m.test(log)) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`the server exited before it was ready:\n${log}`);
      log += new TextDecoder().decode(value);
    }
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log)![1];
    const models = await (await fetch(`${url}/v1/models`)).json();
    const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 4, stream: true }) });
    const sse = await res.text();
    p.kill('SIGINT');
    const code = await p.exited;
    reader.releaseLock();
    return { log, models, sse, code };
  } finally {
    p.kill();
    started.delete(p);
  }
}

function expectServed(r: Awaited<ReturnType<typeof serveAndProbe>>) {
  expect(r.log).toContain('DEMO MODEL: random weights');
  expect(r.log).toMatch(/loading the demo checkpoint: 100% .* \(\d+\/\d+ tensors\)/); // not a terminal: progress lines
  expect(r.models.data[0]).toMatchObject({ id: 'oss-edge-demo', meta: { demo: true } });
  expect(r.models.data[0].description).toContain('random weights');
  expect(r.sse.endsWith('data: [DONE]\n\n')).toBe(true);
  expect(r.code).toBe(0);
}

describe('entries', () => {
  test('bun src/cli.ts serve (the README command) serves the demo checkpoint', async () => {
    expectServed(await serveAndProbe([process.execPath, 'src/cli.ts', 'serve', '--port', '0', '--threads', '1', '--parallel', '1']));
  });

  test.skipIf(!runDeno)('deno run -A src/cli.ts serve', async () => {
    expectServed(await serveAndProbe([denoPath(), 'run', '-A', 'src/cli.ts', 'serve', '--port', '0', '--threads', '1', '--parallel', '1']));
  });

  test('bad flags exit 2 with the usage', async () => {
    const p = Bun.spawn([process.execPath, 'src/cli.ts', 'serve', '--prot', '80'], { cwd: ROOT, stderr: 'pipe', stdout: 'pipe' });
    expect(await p.exited).toBe(2);
    const err = await new Response(p.stderr).text();
    expect(err).toContain('unknown flag --prot');
    expect(err).toContain('--max-queue N');
  });
});
