// Middleware that refuses oversized or over-deep requests before any route does real work, each
// with the limit, the value found and the flag that raises it (limits.ts): headers → 431, JSON
// nesting, message and tool counts, schema depth and size → 400, total text → 413. Route-agnostic:
// it reads the common OpenAI shapes (messages / input, tools with `function.parameters` or
// `parameters`, response_format / text.format schemas), so every JSON endpoint gets the same limits.
import type { MiddlewareHandler } from 'hono';
import { ApiError, badRequest } from './errors.ts';
import { handOver, jsonTextDepth, valueStats } from './json-scan.ts';
import { flagOf, type Limits } from './limits.ts';

const over = (what: string, value: number, limit: number, key: keyof Limits) =>
  `${what} is ${value}, over this server's limit of ${limit} (${flagOf(key)})`;

/** 431 in the error shape when the request headers are larger than `maxHeaderBytes`. */
export function headerGuard(l: Limits): MiddlewareHandler {
  return async function headerGuard(c, next) {
    let bytes = 0;
    c.req.raw.headers.forEach((value, name) => { bytes += name.length + value.length + 4; }); // "name: value\r\n"
    if (bytes > l.maxHeaderBytes) {
      throw new ApiError(431, over('the size of the request headers in bytes', bytes, l.maxHeaderBytes, 'maxHeaderBytes'), 'invalid_request_error', null, 'headers_too_large');
    }
    await next();
  };
}

/**
 * The JSON-body limits; bodies that are not JSON are left for the route to refuse. `context()` is
 * the served context (null while loading): a `prompt` of token ids that cannot fit is refused here,
 * before the route checks a million ids one by one (seconds of event loop for an 8 MB body).
 */
export function jsonGuard(l: Limits, context: () => number | null = () => null): MiddlewareHandler {
  return async function jsonGuard(c, next) {
    if (c.req.method !== 'POST') return next();
    const text = await c.req.text(); // Hono keeps it: the route reads the same text
    const depth = jsonTextDepth(text, l.maxJsonDepth);
    if (depth > l.maxJsonDepth) throw badRequest(over('the JSON nesting depth of the body', depth, l.maxJsonDepth, 'maxJsonDepth').replace(' is ', ' is at least '), null, 'json_too_deep');
    let body: unknown;
    try { body = JSON.parse(text); } catch { return next(); }
    checkBody(body, l);
    checkPromptIds(body, context());
    handOver(text, body);
    try { await next(); } finally { handOver(null); }
  };
}

function checkBody(body: unknown, l: Limits): void {
  if (!isObject(body)) return;
  const text = valueStats(body).stringBytes;
  if (text > l.maxPromptBytes) {
    throw new ApiError(413, over('the text in the request (UTF-8 bytes of all its strings)', text, l.maxPromptBytes, 'maxPromptBytes'), 'invalid_request_error', null, 'prompt_too_large');
  }
  for (const field of ['messages', 'input'] as const) {
    const list = body[field];
    if (Array.isArray(list) && list.length > l.maxMessages) throw badRequest(over(`the number of ${field}`, list.length, l.maxMessages, 'maxMessages'), field, 'too_many_messages');
  }
  const tools = Array.isArray(body.tools) ? body.tools : [];
  if (tools.length > l.maxTools) throw badRequest(over('the number of tools', tools.length, l.maxTools, 'maxTools'), 'tools', 'too_many_tools');
  let schemaBytes = 0;
  for (const [param, schema] of schemasOf(body, tools)) {
    const depth = valueStats(schema).depth;
    if (depth > l.maxSchemaDepth) throw badRequest(over(`the JSON nesting depth of ${param}`, depth, l.maxSchemaDepth, 'maxSchemaDepth'), param, 'schema_too_deep');
    schemaBytes += JSON.stringify(schema).length;
    if (schemaBytes > l.maxSchemaBytes) throw badRequest(over("the size in bytes of the request's JSON Schemas", schemaBytes, l.maxSchemaBytes, 'maxSchemaBytes'), param, 'schema_too_large');
  }
}

function checkPromptIds(body: unknown, context: number | null): void {
  if (context === null || !isObject(body) || !Array.isArray(body.prompt)) return;
  const p = body.prompt;
  const n = p.length === 1 && Array.isArray(p[0]) ? p[0].length : p.length; // [[ids]] or [ids]
  if (n >= context && typeof (Array.isArray(p[0]) ? p[0][0] : p[0]) === 'number') {
    throw badRequest(`the prompt has ${n} tokens; the context is ${context} (at most ${context - 1} prompt tokens)`, 'prompt', 'context_length_exceeded');
  }
}

/** [param, schema] for every JSON Schema the request carries. */
function schemasOf(body: Record<string, unknown>, tools: unknown[]): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  tools.forEach((t, i) => {
    if (!isObject(t)) return;
    if (isObject(t.function) && t.function.parameters !== undefined) out.push([`tools[${i}].function.parameters`, t.function.parameters]);
    if (t.parameters !== undefined) out.push([`tools[${i}].parameters`, t.parameters]);
  });
  const rf = body.response_format;
  if (isObject(rf) && isObject(rf.json_schema) && rf.json_schema.schema !== undefined) out.push(['response_format.json_schema.schema', rf.json_schema.schema]);
  const tf = isObject(body.text) ? body.text.format : undefined;
  if (isObject(tf) && tf.schema !== undefined) out.push(['text.format.schema', tf.schema]);
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
