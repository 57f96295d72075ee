// The chat page: `/` and its static files under /ui/ (static/), plus the browser builds of marked
// and DOMPurify straight from node_modules (/ui/vendor/): plain ES modules, so the browser loads
// them as they are, no bundler and no build step (what `npm ci` installs is what is served, on Bun
// and Deno alike). Everything is read once when the app is made. The page needs no API key; its
// API calls send the one the user types (the server's key rules apply to /v1/* as for any client).
import type { Context, Hono } from 'hono';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml',
};

/** Browser ES module builds of the pinned packages (their `import` export). */
const VENDOR: Record<string, string> = { 'marked.js': 'marked', 'purify.js': 'dompurify' };

// Model output is untrusted markdown: scripts only from here, no inline script, images only from
// here or data: (a remote image in a reply would leak the conversation through its URL).
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
  + "frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'";

interface Asset { body: Uint8Array; type: string; etag: string }

export function registerUi(app: Hono): void {
  const assets = loadAssets();
  const serve = (path: string) => (c: Context) => {
    const a = assets.get(path);
    if (!a) return c.notFound();
    const headers: Record<string, string> = {
      'Content-Type': a.type, ETag: a.etag, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer',
      ...(a.type.startsWith('text/html') ? { 'Content-Security-Policy': CSP } : {}),
    };
    if (c.req.header('if-none-match') === a.etag) return c.body(null, 304, headers);
    return c.body(a.body as Uint8Array<ArrayBuffer>, 200, headers);
  };
  app.get('/', serve('index.html'));
  app.get('/ui/*', (c) => serve(c.req.path.slice('/ui/'.length))(c));
}

function loadAssets(): Map<string, Asset> {
  const files = new Map<string, string>();
  const dir = fileURLToPath(new URL('./static/', import.meta.url));
  for (const f of readdirSync(dir)) files.set(f, `${dir}${f}`);
  for (const [name, pkg] of Object.entries(VENDOR)) files.set(`vendor/${name}`, fileURLToPath(import.meta.resolve(pkg)));
  const out = new Map<string, Asset>();
  for (const [path, file] of files) {
    let body = new Uint8Array(readFileSync(file));
    // Source maps are not served: drop the comments naming them (no 404s in devtools).
    if (path.startsWith('vendor/')) body = new TextEncoder().encode(new TextDecoder().decode(body).replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'));
    const type = TYPES[path.slice(path.lastIndexOf('.') + 1)];
    if (!type) continue;
    out.set(path, { body, type, etag: `"${createHash('sha1').update(body).digest('base64url')}"` });
  }
  return out;
}
