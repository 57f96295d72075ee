// Ollama's error shape: {"error": "message"} with the HTTP status (the `ollama` clients raise
// ResponseError(error, status)). The routes throw the server's ApiError as everywhere else; this
// sub-app's handler renders it the Ollama way, and an unexpected error as a logged 500.
import type { Context } from 'hono';
import { ApiError, asApiError } from '../errors.ts';
import type { Served } from '../host.ts';

export function ollamaError(err: unknown, c: Context, log: (line: string) => void): Response {
  const e = asApiError(err, log);
  for (const [k, v] of Object.entries(e.headers)) c.header(k, v);
  return c.json({ error: e.message }, e.status);
}

/**
 * The name a request's `model` resolves to. Ollama names carry a tag and `:latest` is implied, so
 * `NAME:latest` is `NAME` for a name served without one. 404 "model 'x' not found" otherwise.
 */
export function ollamaModel(model: string, served: Served): string {
  if (served.names.includes(model)) return model;
  const bare = model.endsWith(':latest') ? model.slice(0, -':latest'.length) : null;
  if (bare && served.names.includes(bare)) return model;
  throw new ApiError(404, `model '${model}' not found (this server serves ${served.names.map((n) => `'${n}'`).join(', ')}: GET /api/tags)`, 'not_found_error', 'model', 'model_not_found');
}
