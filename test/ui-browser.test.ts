// The chat page in a real browser: Debian's headless Chromium driven by playwright-core.
//   * against the served demo model (started with an API key): the page asks for the key, a reply
//     streams in token by token, a long one is stopped mid-reply (and the server stops generating:
//     its cancelled count goes up and its slots go idle), and after a reload the conversation is
//     there as it was;
//   * against a scripted model: reasoning shown collapsed apart from the answer, markdown rendered
//     and sanitised (no script or event handler from a reply runs), a tool call shown and answered.
// Screenshots go to the test's output folder (printed; OSS_EDGE_TEST_OUT chooses it), and are
// copied into OSS_EDGE_UI_SCREENSHOTS when set (how bench/results/ui-*.png were made).
// Chromium is required: under CI=true a missing one fails the test; elsewhere
// OSS_EDGE_SKIP_BROWSER_TEST=1 skips it, loudly.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { bunRuntime } from '../src/server/runtime.bun.ts';
import { startService } from '../src/boot/service.ts';
import type { RunningServer } from '../src/server/start.ts';
import { o200kHarmony } from '../src/tokenizer/index.ts';
import { startScriptedServer } from './helpers/server.ts';
import { inCI, truthy } from './helpers/requirements.ts';

const CHROMIUM = process.env.OSS_EDGE_CHROMIUM ?? '/usr/bin/chromium';
const OPT_OUT = 'OSS_EDGE_SKIP_BROWSER_TEST';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const KEY = 'sk-browser-test';
const T = 180_000;

const missing = !existsSync(CHROMIUM);
const skip = missing && !inCI() && truthy(process.env[OPT_OUT]); // the suite's one skip rule (helpers/requirements.ts)
if (skip) console.warn(`\n[SKIP] ui-browser.test.ts: no Chromium at ${CHROMIUM} and ${OPT_OUT}=1 — the chat page is NOT tested in a browser\n`);

let out: string;
let profile: string;
let browser: BrowserContext;

beforeAll(async () => {
  if (missing) {
    if (skip) return;
    throw new Error(`no Chromium at ${CHROMIUM}: install it (apt-get install -y --no-install-recommends chromium; .ci/run does) `
      + `or set OSS_EDGE_CHROMIUM to its path${inCI() ? '' : `; ${OPT_OUT}=1 skips this test outside CI`}`);
  }
  out = process.env.OSS_EDGE_TEST_OUT ?? mkdtempSync(join(tmpdir(), 'oss-edge-ui-test-'));
  mkdirSync(out, { recursive: true });
  profile = mkdtempSync(join(tmpdir(), 'oss-edge-chromium-'));
  browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1200, height: 800 } });
  console.log(`ui-browser: screenshots in ${out}`);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

async function openPage(url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // Not errors of the page: the 401 that makes it ask for the key, the 404 of the scripted reply's
  // <img src="x">, and Chromium's CSP report when DOMPurify's inert parse meets its onerror.
  const expected = /status of 40[14]|Content Security Policy directive/;
  page.on('console', (m) => { if (m.type() === 'error' && !expected.test(m.text())) errors.push(m.text()); });
  const res = await page.goto(`${url}/`);
  expect(res?.status()).toBe(200);
  return { page, errors };
}

async function screenshot(page: Page, name: string): Promise<void> {
  const path = join(out, name);
  await page.screenshot({ path });
  const also = process.env.OSS_EDGE_UI_SCREENSHOTS;
  if (also) copyFileSync(path, join(also, name));
}

/** Waits until the text of `selector` (its last match) equals `want` or matches it. */
async function waitText(page: Page, selector: string, want: string | RegExp): Promise<void> {
  const [source, flags, exact] = typeof want === 'string' ? ['', '', want] : [want.source, want.flags, null];
  await page.waitForFunction(({ selector, source, flags, exact }) => {
    const t = Array.from(document.querySelectorAll(selector)).at(-1)?.textContent ?? null;
    return t !== null && (exact !== null ? t === exact : new RegExp(source, flags).test(t));
  }, { selector, source, flags, exact }, { timeout: 60_000 });
}

async function waitCount(page: Page, selector: string, n: number): Promise<void> {
  await page.waitForFunction(({ selector, n }) => document.querySelectorAll(selector).length === n, { selector, n }, { timeout: 60_000 });
}

const lastReply = (page: Page) => page.locator('.msg.assistant').last();

async function send(page: Page, text: string): Promise<void> {
  await page.fill('#input', text);
  await page.press('#input', 'Enter');
}

async function settings(page: Page, o: { maxTokens?: string; temperature?: string; tools?: string }): Promise<void> {
  if (!(await page.locator('#settings').evaluate((d) => (d as HTMLDetailsElement).open))) await page.click('#settings summary');
  if (o.maxTokens !== undefined) await page.fill('#max-tokens', o.maxTokens);
  if (o.temperature !== undefined) await page.locator('#temperature').evaluate((e, v) => {
    (e as HTMLInputElement).value = v;
    e.dispatchEvent(new Event('input'));
  }, o.temperature);
  if (o.tools !== undefined) await page.fill('#tools', o.tools);
}

/** Records the reply's text length and state at every DOM change from now on. */
async function watchReplies(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { seen: { state: string; len: number }[] };
    w.seen = [];
    new MutationObserver(() => {
      const m = Array.from(document.querySelectorAll<HTMLElement>('.msg.assistant')).at(-1);
      if (m) w.seen.push({ state: m.dataset.state ?? '', len: m.querySelector('.content')!.textContent!.length });
    }).observe(document.getElementById('messages')!, { subtree: true, childList: true, characterData: true, attributes: true });
  });
}

describe.skipIf(skip)('chat page in Chromium', () => {
  describe('with the demo model and an API key', () => {
    let srv: RunningServer;
    beforeAll(async () => {
      srv = await startService({ model: null, host: '127.0.0.1', port: 0, engine: { threads: 1, backend: 'cpu' }, parallel: 2, maxQueue: 8, apiKey: KEY }, bunRuntime, { log: () => {} });
      await srv.ready;
    }, 60_000);
    afterAll(() => srv?.stop());

    const metric = async (name: string) => {
      const text = await (await fetch(`${srv.url}/metrics`, { headers: { Authorization: `Bearer ${KEY}` } })).text();
      return Number(new RegExp(`^oss_edge_${name} (\\S+)$`, 'm').exec(text)?.[1]);
    };

    test('key prompt, a streamed reply, a reply stopped mid-way, and the conversation after a reload', async () => {
      const { page, errors } = await openPage(srv.url);
      // The page loads without the key; the API asks for it.
      await page.waitForSelector('#key-form:not([hidden])');
      await page.fill('#key-input', KEY);
      await page.click('#key-form button');
      await waitText(page, '#model', 'oss-edge-demo');
      expect(await page.locator('#demo').isVisible()).toBe(true);

      // A reply streams in: its text grows over several redraws while it is generating.
      await settings(page, { maxTokens: '48', temperature: '0' });
      await watchReplies(page);
      await send(page, 'Hello');
      await page.waitForSelector('.msg.assistant[data-state=done]', { timeout: 120_000 });
      const seen = await page.evaluate(() => (window as unknown as { seen: { state: string; len: number }[] }).seen);
      const growing = [...new Set(seen.filter((s) => s.state === 'streaming' && s.len > 0).map((s) => s.len))];
      expect(growing.length).toBeGreaterThanOrEqual(3);
      expect(growing).toEqual([...growing].sort((a, b) => a - b));
      await waitText(page, '.msg.assistant .status', /cut at the token limit · 48 tokens/);

      // A long reply, stopped mid-way: the request is aborted and the server stops generating.
      const cancelled = await metric('generations_total\\{finish="cancelled"\\}');
      await settings(page, { maxTokens: '' });
      await send(page, 'Tell me a long story.');
      await page.waitForFunction(() => Number(Array.from(document.querySelectorAll<HTMLElement>('.msg.assistant')).at(-1)?.dataset.chunks ?? 0) >= 12, null, { timeout: 120_000 });
      expect(await lastReply(page).getAttribute('data-state')).toBe('streaming');
      await page.click('#stop');
      await page.waitForSelector('.msg.assistant:last-of-type[data-state=stopped]');
      expect(await page.locator('#send').isVisible()).toBe(true);
      const partial = await lastReply(page).locator('.content').textContent();
      expect(partial!.length).toBeGreaterThan(0);
      for (let i = 0; (await metric('generations_total\\{finish="cancelled"\\}')) !== cancelled + 1 || (await metric('slots_busy')) !== 0; i++) {
        if (i > 300) throw new Error('the server kept generating after the page stopped the request');
        await Bun.sleep(100);
      }
      await screenshot(page, 'ui-chat.png');

      // Reload: the conversation is still there, stopped reply included.
      await page.reload();
      await waitCount(page, '#conversations li', 1);
      await waitText(page, '#conversations li .open', 'Hello');
      await waitCount(page, '.msg', 4);
      expect(await page.locator('.msg.user').allTextContents()).toEqual(['Hello', 'Tell me a long story.']);
      expect(await lastReply(page).getAttribute('data-state')).toBe('stopped');
      expect(await lastReply(page).locator('.content').textContent()).toBe(partial);
      expect(errors).toEqual([]);
      await page.close();
    }, T);
  });

  describe('with a scripted model', () => {
    const REASONED = '<|channel|>analysis<|message|>The user wants a **table**.<|end|><|start|>assistant<|channel|>final<|message|>'
      + '# Weather\n\n| city | °C |\n|---|---|\n| Paris | 18 |\n\nUse `get_weather`.\n\n'
      + '<img src="x" onerror="window.pwned = 1"><script>window.pwned = 2</script>[click](javascript:window.pwned=3)<|return|>';
    const CALL = '<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city":"Paris"}<|call|>';
    const AFTER = '<|channel|>final<|message|>It is **18 °C** in Paris.<|return|>';
    const TOOLS = JSON.stringify([{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }]);
    let srv: Awaited<ReturnType<typeof startScriptedServer>>;
    beforeAll(async () => {
      srv = await startScriptedServer(o200kHarmony(), (p) => (p.includes('functions.get_weather to=assistant') ? AFTER : p.includes('weather in Paris') ? CALL : REASONED), { ui: true });
    });
    afterAll(() => srv?.stop());

    test('reasoning collapsed apart from the answer, sanitised markdown, a tool call shown and answered', async () => {
      const { page, errors } = await openPage(srv.url);
      await waitText(page, '#model', 'scripted');
      await send(page, 'Show me a table');
      await page.waitForSelector('.msg.assistant[data-state=done]');
      const reply = lastReply(page);
      const reasoning = reply.locator('details.reasoning');
      expect(await reasoning.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
      expect(await reasoning.locator('summary').textContent()).toBe('Reasoning');
      expect(await reasoning.locator('.reasoning-text').textContent()).toBe('The user wants a **table**.'); // plain text
      expect(await reply.locator('.content h1').textContent()).toBe('Weather');
      expect(await reply.locator('.content td').allTextContents()).toEqual(['Paris', '18']);
      expect(await reply.locator('.content code').textContent()).toBe('get_weather');
      expect(await reply.locator('.content script').count()).toBe(0);
      expect(await reply.locator('.content img').getAttribute('onerror')).toBeNull();
      expect(await reply.locator('.content a').getAttribute('href')).toBeNull();
      expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();

      await settings(page, { tools: TOOLS });
      await send(page, 'What is the weather in Paris?');
      await page.waitForSelector('.msg.assistant:last-of-type[data-state=done] .tool-call');
      expect(await lastReply(page).locator('.tool-name').textContent()).toBe('Tool call: get_weather');
      expect(JSON.parse((await lastReply(page).locator('.tool-args').textContent())!)).toEqual({ city: 'Paris' });
      await page.fill('.tool-results textarea', '{"temperature": 18}');
      await page.click('.tool-results button');
      await waitText(page, '.msg.assistant .content strong', '18 °C');
      expect(srv.prompts.at(-1)).toContain('<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>{"temperature": 18}<|end|>');
      await settings(page, { tools: '' });
      await screenshot(page, 'ui-render.png');
      expect(errors).toEqual([]);
      await page.close();
    }, T);
  });
});
