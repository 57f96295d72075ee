// The HTTP app, free of any runtime: routes in OpenAI's shapes over a ModelHost. The runtime entries
// (runtime.bun.ts, runtime.deno.ts, picked by src/cli/serve.ts) only hand `app.fetch` to their server.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { accessLog, type LogFormat } from './access-log.ts';
import { apiKeyAuth } from './auth.ts';
import { ApiError, errorResponse } from './errors.ts';
import { headerGuard, jsonGuard } from './guard.ts';
import type { ModelHost } from './host.ts';
import { limitsWith, type Limits } from './limits.ts';
import { notFoundOrNotAllowed } from './methods.ts';
import { metricsText, RequestCounter } from './metrics.ts';
import { replicaTag } from './replica.ts';
import { chatCompletions } from './routes/chat-completions.ts';
import { completions } from './routes/completions.ts';
import { health } from './routes/health.ts';
import { registerResponses, type ResponsesOptions } from './routes/responses.ts';
import { ResponseStore, STORE_DEFAULTS } from './responses/store.ts';
import { getModel, listModels } from './routes/models.ts';
import { ollamaApi, rootProbe } from './ollama/index.ts';
import { registerUi } from './ui/route.ts';

export interface AppDeps {
  host: ModelHost;
  /** Required as `Authorization: Bearer …` on /v1/* and /metrics when set. */
  apiKey?: string;
  /** Allowed origin(s) for browsers, comma-separated, or `*`; no CORS headers when unset. */
  corsOrigin?: string;
  /** Largest request body (default 8 MiB); the same as limits.maxBodyBytes. */
  maxBodyBytes?: number;
  /** Request limits (limits.ts); unset ones take their defaults. */
  limits?: Partial<Limits>;
  log?: (line: string) => void;
  /** One line per request through `log` (access-log.ts); default none. */
  accessLog?: LogFormat;
  /** Serve the chat page at `/` (ui/). */
  ui?: boolean;
  /** The stored responses and the policy for tools the server cannot run (default: in memory, reject). */
  responses?: ResponsesOptions;
  /** This replica's tag behind a load balancer: `X-Replica` on every response (replica.ts). */
  replicaId?: string;
}

export function createApp(d: AppDeps): Hono {
  const log = d.log ?? ((line: string) => console.error(line));
  const app = new Hono();
  if (d.replicaId) app.use('*', replicaTag(d.replicaId));
  const access = accessLog(d.accessLog ?? 'none', log);
  if (access) app.use('*', access);
  const requests = new RequestCounter();
  app.use('*', requests.middleware());
  const limits = limitsWith({ ...d.limits, ...(d.maxBodyBytes !== undefined ? { maxBodyBytes: d.maxBodyBytes } : {}) });
  app.use('*', headerGuard(limits));
  if (d.corsOrigin) {
    const origin = d.corsOrigin === '*' ? '*' : d.corsOrigin.split(',').map((o) => o.trim());
    app.use('*', cors({ origin, allowHeaders: ['Authorization', 'Content-Type', 'Accept'], allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'] }));
  }
  const maxBody = limits.maxBodyBytes;
  app.use('/v1/*', bodyLimit({
    maxSize: maxBody,
    onError: () => { throw new ApiError(413, `the request body is larger than ${maxBody} bytes, this server's limit (--max-body)`, 'invalid_request_error', null, 'request_too_large'); },
  }));
  if (d.apiKey) {
    app.use('/v1/*', apiKeyAuth(d.apiKey));
    app.use('/metrics', apiKeyAuth(d.apiKey));
  }
  app.use('/v1/*', jsonGuard(limits, () => d.host.served?.model.context ?? null));

  app.get('/health', health(d.host));
  app.get('/metrics', (c) => c.text(metricsText(d.host, requests), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }));
  app.get('/v1/models', listModels(d.host));
  app.get('/v1/models/:id', getModel(d.host));
  app.post('/v1/chat/completions', chatCompletions(d.host, log));
  app.post('/v1/completions', completions(d.host, log));
  app.route('/api', ollamaApi({ host: d.host, limits, apiKey: d.apiKey, log }));
  registerResponses(app, d.host, d.responses ?? {
    store: new ResponseStore({ maxBytes: STORE_DEFAULTS.maxMb * 2 ** 20, maxAgeSeconds: STORE_DEFAULTS.maxAgeSeconds }), unsupportedTools: 'reject',
  }, log);
  if (d.ui) registerUi(app);
  else app.get('/', rootProbe);

  app.notFound(notFoundOrNotAllowed(app));
  app.onError((err, c) => errorResponse(err, c, log));
  return app;
}
