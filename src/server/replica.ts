// One replica among several behind a load balancer (deploy/): `serve --replica-id TAG` marks every
// response with `X-Replica: TAG` (here) and puts TAG in the ids it mints (ids.ts, set by start.ts),
// so a client, a log or a test sees which replica answered, and deploy/affinity.js can route an id
// back to its replica.
import type { MiddlewareHandler } from 'hono';

/** Every response (errors, 404s and streams included) says which replica answered. */
export function replicaTag(tag: string): MiddlewareHandler {
  return async function replicaTag(c, next) {
    c.header('X-Replica', tag);
    await next();
    if (!c.res.headers.has('X-Replica')) c.res.headers.set('X-Replica', tag);
  };
}
