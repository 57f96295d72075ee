// One replica among several behind a load balancer (deploy/): `serve --replica-id TAG` marks every
// response with `X-Replica: TAG` and puts TAG in the ids it mints (`chatcmpl-TAG_…`,
// `resp_TAG_…`), so a later request naming such an id (`previous_response_id`) can be routed back
// to the replica that holds its state (deploy/affinity.js reads the tag out of the id).
import type { Context, MiddlewareHandler } from 'hono';

/** A tag: letters, digits and `-` only, so `_` ends it inside an id. */
export const REPLICA_TAG = /^[A-Za-z0-9-]{1,32}$/;

/** `prefix` + (`tag_` when a replica tag is given) + 24 random hex digits. */
export function ownedId(prefix: string, replicaId?: string): string {
  const b = crypto.getRandomValues(new Uint8Array(12));
  return prefix + (replicaId ? `${replicaId}_` : '') + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** An id minted for the request in `c`: tagged with this replica's tag, if it has one. */
export function newId(prefix: string, c?: Context): string {
  return ownedId(prefix, c?.get('replicaId' as never) as string | undefined);
}

/** Every response (errors, 404s and streams included) says which replica answered. */
export function replicaTag(tag: string): MiddlewareHandler {
  return async function replicaTag(c, next) {
    c.set('replicaId' as never, tag as never);
    c.header('X-Replica', tag);
    await next();
    if (!c.res.headers.has('X-Replica')) c.res.headers.set('X-Replica', tag);
  };
}
