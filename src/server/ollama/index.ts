// Ollama's API under /api, for the tools that speak it (Open WebUI, Continue, Raycast, the
// `ollama` clients): chat and generate over the same generation path as the OpenAI routes, the
// model listings, errors as {"error": "…"}. The server's rules hold here as on /v1: the body
// limit, the JSON limits and the API key (Ollama clients send it as `Authorization: Bearer`).
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { apiKeyAuth } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { jsonGuard } from '../guard.ts';
import type { ModelHost } from '../host.ts';
import type { Limits } from '../limits.ts';
import { ollamaChat } from './chat.ts';
import { ollamaError } from './errors.ts';
import { ollamaGenerate } from './generate.ts';
import { ollamaPs, ollamaShow, ollamaTags, ollamaVersion } from './models.ts';

export interface OllamaDeps { host: ModelHost; limits: Limits; apiKey?: string; log: (line: string) => void }

/**
 * Ollama endpoints this server does not offer, answered 501 in Ollama's shape with the reason (a
 * client's "pull" or "delete" button gets a message it can show, not a bare 404).
 */
const UNSUPPORTED: Array<[string, string, string]> = [
  ...['/pull', '/push', '/create', '/copy'].map((p): [string, string, string] => ['POST', p, 'the server serves the one model it was started with (download models with `oss-edge pull`, then `serve --model`)']),
  ['DELETE', '/delete', 'the server serves the one model it was started with'],
  ...['/embed', '/embeddings'].map((p): [string, string, string] => ['POST', p, 'gpt-oss is a generative model; it has no embeddings endpoint']),
];

/** The routes, to mount at /api. */
export function ollamaApi(d: OllamaDeps): Hono {
  const api = new Hono();
  const max = d.limits.maxBodyBytes;
  api.use('*', bodyLimit({
    maxSize: max,
    onError: () => { throw new ApiError(413, `the request body is larger than ${max} bytes, this server's limit (--max-body)`, 'invalid_request_error', null, 'request_too_large'); },
  }));
  if (d.apiKey) api.use('*', apiKeyAuth(d.apiKey));
  api.use('*', jsonGuard(d.limits, () => d.host.served?.model.context ?? null));
  api.post('/chat', ollamaChat(d.host, d.log));
  api.post('/generate', ollamaGenerate(d.host, d.log));
  api.get('/tags', ollamaTags(d.host));
  api.post('/show', ollamaShow(d.host));
  api.get('/ps', ollamaPs(d.host));
  api.get('/version', ollamaVersion);
  for (const [method, path, why] of UNSUPPORTED) {
    api.on(method, path, () => { throw new ApiError(501, `${method} /api${path} is not supported here: ${why}`, 'invalid_request_error', null, 'not_implemented'); });
  }
  api.onError((err, c) => ollamaError(err, c, d.log));
  return api;
}

/** `/` without the chat page: Ollama clients probe it for a 200 ("Ollama is running"). */
export function rootProbe(c: { text: (s: string) => Response }): Response {
  return c.text('oss-edge is running (OpenAI API at /v1, Ollama API at /api)');
}
