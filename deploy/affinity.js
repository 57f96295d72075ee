// njs for deploy/nginx.conf.template: which replica a request goes to. Loaded with js_import; the
// body is read in `route` (js_content) before the js_set variables `key` and `upstream` are asked
// for, so they can see `user` and `previous_response_id` (r.requestText: the body sits in one
// memory buffer, client_body_buffer_size = the body limit).

// What the replicas' HTTP layer (Bun) parses; any other method is answered here (405 + Allow).
const FORWARDED = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

function route(r) {
  if (FORWARDED.indexOf(r.method) >= 0) { r.internalRedirect('@proxy'); return; }
  // the path's methods as the replicas serve them: OPTIONS answers 204 with Allow (or 404 for an unknown path)
  r.subrequest('/_allow' + r.uri, { method: 'OPTIONS' }, (reply) => {
    r.headersOut['Content-Type'] = 'application/json';
    if (reply.status === 404) { r.return(404, error(`no route for ${r.method} ${r.uri}`, 'not_found_error', 'not_found')); return; }
    const allow = reply.status === 204 && reply.headersOut.Allow ? reply.headersOut.Allow : FORWARDED.join(', ');
    r.headersOut.Allow = allow;
    const use = allow.split(', ').filter((m) => m !== 'OPTIONS').join(' or ');
    r.return(405, error(`${r.method} is not allowed on ${r.uri}; use ${use}`, 'invalid_request_error', 'method_not_allowed'));
  });
}

/** OpenAI's error shape, as the replicas answer it. */
function error(message, type, code) {
  return JSON.stringify({ error: { message, type, param: null, code } }) + '\n';
}

// njs runs each request in its own VM copy: this memo lives for one request only.
let parsed;

/** The JSON body's top level, or {} (no body, not JSON, not an object). */
function body(r) {
  if (parsed !== undefined) return parsed;
  parsed = {};
  try {
    const text = r.requestText; // undefined without a body
    const v = text ? JSON.parse(text) : null;
    if (v && typeof v === 'object' && !Array.isArray(v)) parsed = v;
  } catch (e) { /* not JSON: the replica answers it; no key from the body */ }
  return parsed;
}

/**
 * The tag of a replica that exists, from the stored response a request names: the path's
 * (GET/DELETE /v1/responses/resp_TAG_…[/input_items]), else the body's previous_response_id; or ''.
 */
function ownerTag(r) {
  const inPath = /^\/v1\/responses\/(resp_[^/]+)/.exec(r.uri);
  const id = inPath ? inPath[1] : body(r).previous_response_id;
  const m = typeof id === 'string' ? /^resp_([A-Za-z0-9]{1,32})_[0-9a-f]+$/.exec(id) : null;
  return m && r.variables.replica_tags.split(' ').indexOf(m[1]) >= 0 ? m[1] : '';
}

/**
 * The conversation key hashed onto the ring: X-Session-Id, else the body's prompt_cache_key
 * (OpenAI's field for exactly this: requests that share a prefix), else its `user`, else ''.
 */
function key(r) {
  const session = r.headersIn['X-Session-Id'];
  if (session) return 's:' + session;
  const b = body(r);
  if (typeof b.prompt_cache_key === 'string' && b.prompt_cache_key) return 'p:' + b.prompt_cache_key;
  return typeof b.user === 'string' && b.user ? 'u:' + b.user : '';
}

/**
 * The upstream block: the replica named by a response id (where that response and its
 * conversation's cache are), else the consistent-hash ring for a keyed request, else least_conn.
 */
function upstream(r) {
  const tag = ownerTag(r);
  if (tag) return 'replica_' + tag;
  return key(r) ? 'keyed' : 'balanced';
}

export default { route, key, upstream };
