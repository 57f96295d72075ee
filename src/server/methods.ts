// 405 Method Not Allowed with an `Allow` header (RFC 9110 §15.5.6) for a known path asked with a
// method it does not serve, read from the app's own route table (so routes added later are
// covered); OPTIONS on a known path answers 204 with `Allow`. Methods the runtime's HTTP parser
// does not know (`FOO`) never reach the app: see the README.
import type { Context, Hono } from 'hono';
import { ApiError } from './errors.ts';

const patterns = new WeakMap<Hono, Array<{ re: RegExp; method: string }>>();

/** Methods the app serves at `path` (GET implies HEAD), or [] for an unknown path. */
export function allowedMethods(app: Hono, path: string): string[] {
  let table = patterns.get(app);
  if (!table) {
    table = app.routes
      .filter((r) => r.method !== 'ALL' && r.path !== '*' && r.path !== '/*')
      .map((r) => ({ method: r.method, re: new RegExp(`^${r.path.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\/:[^/]+/g, '/[^/]+').replace(/\/\*$/, '/.*')}/?$`) }));
    patterns.set(app, table);
  }
  const methods = new Set(table.filter((r) => r.re.test(path)).map((r) => r.method));
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods];
}

/** The notFound handler: 405 + Allow for a known path, else 404 — both in the error shape. */
export function notFoundOrNotAllowed(app: Hono) {
  return (c: Context): Response => {
    const allowed = allowedMethods(app, c.req.path);
    // an unknown path, or a route that serves this method and found nothing (a missing static file)
    if (!allowed.length || allowed.includes(c.req.method)) return c.json(new ApiError(404, `no route for ${c.req.method} ${c.req.path}`, 'not_found_error', null, 'not_found').body(), 404);
    const allow = [...allowed, 'OPTIONS'].join(', ');
    if (c.req.method === 'OPTIONS') return c.body(null, 204, { Allow: allow });
    const e = new ApiError(405, `${c.req.method} is not allowed on ${c.req.path}; use ${allowed.join(' or ')}`, 'invalid_request_error', null, 'method_not_allowed');
    return c.json(e.body(), 405, { Allow: allow });
  };
}
