// The chat page's HTTP side (src/server/ui/route.ts): `/` and its files are served without the API
// key while /v1/* keeps requiring it, with a CSP and revalidation; the vendor modules are the
// pinned packages' own files; --no-ui turns the page off. (The page itself: ui-browser.test.ts.)
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from '../src/cli/args.ts';
import { serveOptions } from '../src/cli/serve.ts';
import { o200kHarmony } from '../src/tokenizer/index.ts';
import { startScriptedServer } from './helpers/server.ts';

const KEY = 'sk-ui-test';
let srv: Awaited<ReturnType<typeof startScriptedServer>>;

beforeAll(async () => {
  srv = await startScriptedServer(o200kHarmony(), () => '<|channel|>final<|message|>hi<|return|>', { ui: true, apiKey: KEY, corsOrigin: 'https://elsewhere.example' });
});
afterAll(() => srv.stop());

describe('chat page routes', () => {
  test('/ needs no key and says where its scripts come from', async () => {
    const res = await fetch(`${srv.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("img-src 'self' data:");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html).toContain('<script type="module" src="ui/app.js"></script>');
  });

  test('static files and the vendor modules (the installed packages, served as they are)', async () => {
    for (const f of ['app.js', 'api.js', 'render.js', 'store.js', 'style.css']) {
      const res = await fetch(`${srv.url}/ui/${f}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(readFileSync(join(import.meta.dir, '..', 'src', 'server', 'ui', 'static', f), 'utf8'));
    }
    const marked = await fetch(`${srv.url}/ui/vendor/marked.js`);
    expect(marked.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await marked.text()).toContain('marked v18.3.0');
    expect(await (await fetch(`${srv.url}/ui/vendor/purify.js`)).text()).toContain('export { purify_default as default }');
    expect((await fetch(`${srv.url}/ui/nope.js`)).status).toBe(404);
    expect((await fetch(`${srv.url}/ui/%2e%2e/%2e%2e/package.json`)).status).toBe(404); // a lookup, never a path
  });

  test('revalidation: the ETag answers 304', async () => {
    const first = await fetch(`${srv.url}/ui/app.js`);
    const etag = first.headers.get('etag')!;
    expect(first.headers.get('cache-control')).toBe('no-cache');
    const again = await fetch(`${srv.url}/ui/app.js`, { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
  });

  test('the API keeps its key and CORS rules', async () => {
    expect((await fetch(`${srv.url}/v1/models`)).status).toBe(401);
    expect((await fetch(`${srv.url}/v1/models`, { headers: { Authorization: `Bearer ${KEY}` } })).status).toBe(200);
    const pre = await fetch(`${srv.url}/v1/chat/completions`, { method: 'OPTIONS', headers: { Origin: 'https://elsewhere.example', 'Access-Control-Request-Method': 'POST' } });
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://elsewhere.example');
  });
});

test('--no-ui turns the page off: / is the plain-text probe Ollama clients send, no page', async () => {
  expect(serveOptions(parseArgs([]), {}).ui).toBe(true);
  expect(serveOptions(parseArgs(['--no-ui']), {}).ui).toBe(false);
  const plain = await startScriptedServer(o200kHarmony(), () => '', {});
  try {
    const res = await fetch(`${plain.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toStartWith('text/plain');
    expect(await res.text()).toBe('oss-edge is running (OpenAI API at /v1, Ollama API at /api)');
    expect((await fetch(`${plain.url}/ui/app.js`)).status).toBe(404);
  } finally {
    await plain.stop();
  }
});
