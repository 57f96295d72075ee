// `pull`, `list` and `serve --model NAME` as a user runs them, against a mock hub on 127.0.0.1
// (HF_ENDPOINT) serving checkpoints made by `synth` (the demo preset: the real vocabulary, so the
// served model chats with the built-in tokenizer) in both formats: a fresh pull, an interrupted one
// resumed by the next pull with a Range from where it stopped, a corrupted byte, a cache already
// filled (by us or in the layout `hf download` writes), the files chosen, gated repos, and a chat
// with the pulled model.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockHub, type MockFile } from './helpers/mock-hub.ts';

const ROOT = join(import.meta.dir, '..');
const TOKEN = 'hf_testtoken';
const GGUF_REPO = 'ggml-org/gpt-oss-20b-GGUF';
const GGUF_FILE = 'gpt-oss-20b-mxfp4.gguf';
/** Per test: a few CLI runs of a second or two each on a quiet machine. */
const T = 120_000;

let work: string;
let hub: MockHub;
let gguf: Uint8Array;
let hfFiles: MockFile[];
let ggufCommit: string;

interface Run { code: number; out: string; err: string }

/** The CLI with a clean Hugging Face environment pointing at the mock hub. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(HF_|HUGGING)/.test(k)));
  const p = Bun.spawn([process.execPath, 'src/cli.ts', ...args], {
    cwd: ROOT, stdout: 'pipe', stderr: 'pipe', env: { ...clean, HF_ENDPOINT: hub.url, HF_TOKEN: TOKEN, ...env },
  });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err };
}

async function synth(args: string[]): Promise<void> {
  const p = Bun.spawn([process.execPath, 'src/cli.ts', 'synth', '--preset', 'demo', '--quiet', ...args], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' });
  if (await p.exited !== 0) throw new Error(`synth failed: ${await new Response(p.stderr).text()}`);
}

const text = (s: string) => new TextEncoder().encode(s);
const home = (name: string) => join(work, name);
const repoDir = (h: string, repo: string) => join(h, 'hub', `models--${repo.replace('/', '--')}`);
const sha256 = (b: Uint8Array) => new Bun.CryptoHasher('sha256').update(b).digest('hex');

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'oss-edge-hub-'));
  await synth(['--format', 'gguf', '--out', join(work, 'demo.gguf')]);
  await synth(['--format', 'hf', '--shard-bytes', '30000000', '--out', join(work, 'hf')]);
  gguf = readFileSync(join(work, 'demo.gguf'));
  hfFiles = readdirSync(join(work, 'hf')).map((f) => ({ path: f, data: readFileSync(join(work, 'hf', f)) }));
  hub = new MockHub();
  ggufCommit = hub.addRepo(GGUF_REPO, [{ path: GGUF_FILE, data: gguf }, { path: 'README.md', data: text('# gpt-oss-20b GGUF\n') }, { path: '.gitattributes', data: text('*.gguf filter=lfs\n') }]);
  hub.addRepo('openai/gpt-oss-20b', [
    ...hfFiles, { path: 'original/config.json', data: text('{}') }, { path: 'original/model.safetensors', data: new Uint8Array(4096) },
    { path: 'metal/model.bin', data: new Uint8Array(4096) }, { path: 'README.md', data: text('# gpt-oss\n') }, { path: 'LICENSE', data: text('Apache-2.0\n') },
  ]);
  hub.addRepo('unsloth/gpt-oss-20b-GGUF', [
    { path: 'gpt-oss-20b-Q8_0.gguf', data: gguf }, { path: 'gpt-oss-20b-F16.gguf', data: new Uint8Array(5000).fill(1) },
    { path: 'gpt-oss-20b-Q4_K_M.gguf', data: new Uint8Array(3000).fill(2) },
  ]);
  hub.addRepo('acme/gated-GGUF', [{ path: 'tiny.gguf', data: new Uint8Array(2000).fill(3) }], { token: 'hf_granted' });
  await hub.start();
}, 60_000);

afterAll(async () => {
  await hub?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('pull', () => {
  test('fresh: the GGUF lands in the HF cache layout, only the model file is fetched, the token never reaches the CDN', async () => {
    const before = hub.seen.length;
    const r = await cli(['pull', 'gpt-oss-20b'], { HF_HOME: home('a') });
    expect(r.code).toBe(0);
    const dir = repoDir(home('a'), GGUF_REPO);
    const link = join(dir, 'snapshots', ggufCommit, GGUF_FILE);
    expect(r.out.trim()).toBe(link);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(`../../blobs/${sha256(gguf)}`); // relative, as huggingface_hub links
    expect(Buffer.compare(readFileSync(link), gguf)).toBe(0);
    expect(readFileSync(join(dir, 'refs', 'main'), 'utf8')).toBe(ggufCommit);
    expect(readdirSync(join(dir, 'blobs'))).toEqual([sha256(gguf)]); // no README, no .incomplete left
    const seen = hub.seen.slice(before);
    expect(seen.filter((s) => s.url.includes('/resolve/')).map((s) => s.url)).toEqual([`/${GGUF_REPO}/resolve/${ggufCommit}/${GGUF_FILE}`]);
    expect(seen.filter((s) => s.server === 'hub').every((s) => s.authorization === `Bearer ${TOKEN}`)).toBe(true);
    const cdn = seen.filter((s) => s.server === 'cdn');
    expect(cdn.length).toBe(1);
    expect(cdn[0].authorization).toBeUndefined();
    expect(cdn[0].range).toBeUndefined();
    expect(r.err).toMatch(/pull gpt-oss-20b: 100% 40\.\d MB\/40\.\d MB/); // progress lines (not a terminal)
    expect(r.err).toMatch(/MB\/s, ETA /);
    expect(r.err).toContain('serve it with: npx bun run serve -- --model gpt-oss-20b');
  }, T);

  test('already cached: nothing is fetched again', async () => {
    const before = hub.bodyRequests().length;
    const r = await cli(['pull', 'gpt-oss-20b'], { HF_HOME: home('a') });
    expect(r.code).toBe(0);
    expect(r.err).toContain('already in the cache');
    expect(hub.bodyRequests().length).toBe(before);
  }, T);

  test('a cache written by `hf download` (HF_HUB_CACHE) is found and not fetched again', async () => {
    const cache = join(work, 'hf-cli-cache');
    const dir = join(cache, `models--${GGUF_REPO.replace('/', '--')}`);
    mkdirSync(join(dir, 'blobs'), { recursive: true });
    mkdirSync(join(dir, 'snapshots', ggufCommit), { recursive: true });
    mkdirSync(join(dir, 'refs'));
    writeFileSync(join(dir, 'blobs', sha256(gguf)), gguf);
    symlinkSync(`../../blobs/${sha256(gguf)}`, join(dir, 'snapshots', ggufCommit, GGUF_FILE));
    writeFileSync(join(dir, 'refs', 'main'), ggufCommit);
    const before = hub.bodyRequests().length;
    const r = await cli(['pull', GGUF_REPO], { HF_HUB_CACHE: cache, HF_HOME: home('unused') });
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(join(dir, 'snapshots', ggufCommit, GGUF_FILE));
    expect(hub.bodyRequests().length).toBe(before);
    expect(existsSync(home('unused'))).toBe(false);
  }, T);

  test('a connection cut mid-file: the pull fails saying so, and the next pull resumes with a Range from where it stopped', async () => {
    const cut = 5_000_000;
    hub.faults.push({ kind: 'cut', after: cut });
    const first = await cli(['pull', 'gpt-oss-20b', '--retries', '0'], { HF_HOME: home('b') });
    expect(first.code).toBe(1);
    expect(first.err).toMatch(/gpt-oss-20b-mxfp4\.gguf: the connection was lost .* run pull again to resume/);
    const dir = repoDir(home('b'), GGUF_REPO);
    const part = join(dir, 'blobs', `${sha256(gguf)}.incomplete`);
    const kept = lstatSync(part).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(cut);
    expect(existsSync(join(dir, 'blobs', sha256(gguf)))).toBe(false); // never renamed into place
    expect(existsSync(join(dir, 'snapshots', ggufCommit, GGUF_FILE))).toBe(false);
    const notYet = await cli(['serve', '--model', 'gpt-oss-20b', '--port', '0'], { HF_HOME: home('b') });
    expect(notYet.code).toBe(1);
    expect(notYet.err).toContain('gpt-oss-20b is not downloaded (an interrupted download holds');
    expect(notYet.err).toContain('npx bun src/cli.ts pull gpt-oss-20b');

    const before = hub.seen.length;
    const second = await cli(['pull', 'gpt-oss-20b'], { HF_HOME: home('b') });
    expect(second.code).toBe(0);
    expect(second.err).toContain(`resuming at byte ${kept} of ${gguf.length}`);
    const bodies = hub.seen.slice(before).filter((s) => s.server === 'cdn' || s.url.includes('/resolve/'));
    expect(bodies.map((s) => [s.server, s.range])).toEqual([['hub', `bytes=${kept}-`], ['cdn', `bytes=${kept}-`]]);
    expect(Buffer.compare(readFileSync(join(dir, 'snapshots', ggufCommit, GGUF_FILE)), gguf)).toBe(0);
    expect(existsSync(part)).toBe(false);
  }, T);

  test('a dropped connection within one pull is resumed by the pull itself', async () => {
    hub.faults.push({ kind: 'cut', after: 1_000_000 });
    const before = hub.seen.length;
    const r = await cli(['pull', 'gpt-oss-20b'], { HF_HOME: home('c') });
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/the connection was lost .*; resuming at byte \d+ in 1\.0s \(attempt 2 of 6\)/);
    const cdn = hub.seen.slice(before).filter((s) => s.server === 'cdn');
    expect(cdn.length).toBe(2);
    expect(cdn[1].range).toMatch(/^bytes=\d+-$/);
    expect(Buffer.compare(readFileSync(join(repoDir(home('c'), GGUF_REPO), 'snapshots', ggufCommit, GGUF_FILE)), gguf)).toBe(0);
  }, T);

  test('a flipped byte: checksum error, the download is deleted, nothing is served; the next pull is clean', async () => {
    hub.faults.push({ kind: 'flip', at: 123_457 });
    const r = await cli(['pull', 'gpt-oss-20b'], { HF_HOME: home('d') });
    expect(r.code).toBe(1);
    expect(r.err).toContain(`gpt-oss-20b-mxfp4.gguf: checksum mismatch, the download is corrupt`);
    expect(r.err).toContain(`the hub says ${sha256(gguf)}`);
    const dir = repoDir(home('d'), GGUF_REPO);
    expect(readdirSync(join(dir, 'blobs'))).toEqual([]);
    expect(existsSync(join(dir, 'snapshots'))).toBe(false);
    const list = await cli(['list', '--json'], { HF_HOME: home('d') });
    expect(JSON.parse(list.out)).toEqual([]);
    const again = await cli(['pull', 'gpt-oss-20b'], { HF_HOME: home('d') });
    expect(again.code).toBe(0);
  }, T);

  test('one downloader per file: a live pull\'s lock is respected, a dead one\'s is taken over', async () => {
    const locks = join(home('j'), 'hub', '.locks', `models--${GGUF_REPO.replace('/', '--')}`);
    mkdirSync(locks, { recursive: true });
    const lock = join(locks, `${sha256(gguf)}.oss-edge.lock`);
    writeFileSync(lock, String(process.pid)); // this test process: alive
    const held = await cli(['pull', 'gpt-oss-20b'], { HF_HOME: home('j') });
    expect(held.code).toBe(1);
    expect(held.err).toContain(`another pull (pid ${process.pid}) is downloading this file`);
    const gone = Bun.spawn(['true']);
    await gone.exited;
    writeFileSync(lock, String(gone.pid));
    const r = await cli(['pull', 'gpt-oss-20b'], { HF_HOME: home('j') });
    expect(r.code).toBe(0);
    expect(existsSync(lock)).toBe(false);
  }, T);

  test('a safetensors repo: config, index, shards and generation config; not original/, metal/ or docs', async () => {
    const before = hub.seen.length;
    const r = await cli(['pull', 'openai/gpt-oss-20b'], { HF_HOME: home('e') });
    expect(r.code).toBe(0);
    const fetched = hub.seen.slice(before).filter((s) => s.url.includes('/resolve/')).map((s) => s.url.replace(/.*\/resolve\/[0-9a-f]+\//, '')).sort();
    expect(fetched).toEqual(hfFiles.map((f) => f.path).sort());
    expect(readdirSync(r.out.trim()).sort()).toEqual(hfFiles.map((f) => f.path).sort());
  }, T);

  test('quant choice among GGUF files; a missing quant lists the choices', async () => {
    const before = hub.seen.length;
    const r = await cli(['pull', 'unsloth/gpt-oss-20b-GGUF:Q8_0'], { HF_HOME: home('f') });
    expect(r.code).toBe(0);
    expect(hub.seen.slice(before).filter((s) => s.url.includes('/resolve/')).map((s) => s.url.split('/').pop())).toEqual(['gpt-oss-20b-Q8_0.gguf']);
    const bare = await cli(['pull', 'unsloth/gpt-oss-20b-GGUF'], { HF_HOME: home('f') });
    expect(bare.code).toBe(0);
    expect(bare.err).toContain('Q8_0 by default (others: gpt-oss-20b-F16.gguf, gpt-oss-20b-Q4_K_M.gguf; choose with unsloth/gpt-oss-20b-GGUF:QUANT)');
    expect(bare.err).toContain('already in the cache');
    const missing = await cli(['pull', 'unsloth/gpt-oss-20b-GGUF:Q3_K_M'], { HF_HOME: home('f') });
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('unsloth/gpt-oss-20b-GGUF has no GGUF file matching Q3_K_M; it has F16, Q4_K_M, Q8_0');
  }, T);

  test('gated and unknown repos, bad names: clear errors', async () => {
    const noToken = await cli(['pull', 'acme/gated-GGUF'], { HF_HOME: home('g'), HF_TOKEN: '' });
    expect(noToken.code).toBe(1);
    expect(noToken.err).toContain('acme/gated-GGUF needs access (HTTP 401): set HF_TOKEN');
    expect((await cli(['pull', 'acme/gated-GGUF'], { HF_HOME: home('g'), HF_TOKEN: 'hf_granted' })).code).toBe(0);
    const unknown = await cli(['pull', 'acme/nothing-here'], { HF_HOME: home('g') });
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('acme/nothing-here was not found on');
    const bad = await cli(['pull', 'not a repo'], { HF_HOME: home('g') });
    expect(bad.code).toBe(2);
  }, T);

  test('the token saved by `hf auth login` ($HF_HOME/token) is used when HF_TOKEN is unset', async () => {
    mkdirSync(home('h'), { recursive: true });
    writeFileSync(join(home('h'), 'token'), 'hf_granted\n');
    expect((await cli(['pull', 'acme/gated-GGUF'], { HF_HOME: home('h'), HF_TOKEN: '' })).code).toBe(0);
  }, T);
});

describe('list and serve by name', () => {
  test('list shows the cached models with their sizes and names', async () => {
    const r = await cli(['list'], { HF_HOME: home('f') });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/unsloth\/gpt-oss-20b-GGUF:Q8_0\s+40\.\d MB\s+gguf [0-9a-f]{12}\s+\S+gpt-oss-20b-Q8_0\.gguf/);
    const a = JSON.parse((await cli(['list', '--json'], { HF_HOME: home('a') })).out);
    expect(a).toEqual([expect.objectContaining({ name: 'gpt-oss-20b', repo: GGUF_REPO, ready: true, bytes: gguf.length, commit: ggufCommit })]);
    const e = JSON.parse((await cli(['list', '--json'], { HF_HOME: home('e') })).out);
    expect(e).toEqual([expect.objectContaining({ name: 'openai/gpt-oss-20b', ready: true, bytes: hfFiles.reduce((n, f) => n + f.data.length, 0) })]);
  }, T);

  test('serve --model gpt-oss-20b answers a chat from the pulled file', async () => {
    const s = await serve(['--model', 'gpt-oss-20b'], { HF_HOME: home('a') });
    try {
      expect(s.log).toContain(`ready: model \`gpt-oss-20b\` from ${join(repoDir(home('a'), GGUF_REPO), 'snapshots', ggufCommit, GGUF_FILE)}`);
      await expectChat(s.url, 'gpt-oss-20b');
    } finally {
      await s.stop();
    }
  }, T);

  test('serve --model openai/gpt-oss-20b (the safetensors pull) answers a chat', async () => {
    const s = await serve(['--model', 'openai/gpt-oss-20b'], { HF_HOME: home('e') });
    try {
      await expectChat(s.url, 'openai/gpt-oss-20b');
    } finally {
      await s.stop();
    }
  }, T);

  test('serve --pull downloads a missing model first', async () => {
    const s = await serve(['--model', 'gpt-oss-20b', '--pull'], { HF_HOME: home('i') });
    try {
      expect(s.log).toContain('pull: gpt-oss-20b ready');
      await expectChat(s.url, 'gpt-oss-20b');
    } finally {
      await s.stop();
    }
  }, T);

  test('serve --model with a name that is not downloaded says the pull command', async () => {
    const r = await cli(['serve', '--model', 'unsloth/gpt-oss-20b-GGUF:F16', '--port', '0'], { HF_HOME: home('a') });
    expect(r.code).toBe(1);
    expect(r.err).toContain('download it with: npx bun src/cli.ts pull unsloth/gpt-oss-20b-GGUF:F16 (or add --pull to serve)');
  }, T);
});

async function serve(args: string[], env: Record<string, string>) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(HF_|HUGGING|OSS_EDGE)/.test(k)));
  const p = Bun.spawn([process.execPath, 'src/cli.ts', 'serve', '--port', '0', '--threads', '1', '--parallel', '1', ...args], {
    cwd: ROOT, stdout: 'pipe', stderr: 'pipe', env: { ...clean, HF_ENDPOINT: hub.url, HF_TOKEN: TOKEN, ...env },
  });
  const reader = p.stderr.getReader();
  let log = '';
  while (!/^ready: /m.test(log)) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`serve exited before it was ready:\n${log}`);
    log += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log)![1];
  return {
    url, log,
    stop: async () => {
      p.kill('SIGINT');
      expect(await p.exited).toBe(0);
    },
  };
}

async function expectChat(url: string, id: string): Promise<void> {
  const models = await (await fetch(`${url}/v1/models`)).json();
  expect(models.data[0]).toMatchObject({ id, meta: { demo: false } });
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: id, max_tokens: 6, messages: [{ role: 'user', content: 'Hello' }] }),
  });
  expect(res.status).toBe(200);
  const body = await res.json();
  expect(body).toMatchObject({ object: 'chat.completion', model: id, usage: { completion_tokens: 6 } });
}
