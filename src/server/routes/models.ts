// GET /v1/models and /v1/models/:id (OpenAI's list and model objects). The demo checkpoint says
// what it is: random weights, noise for output.
import type { Context } from 'hono';
import { ApiError } from '../errors.ts';
import type { ModelHost, Served } from '../host.ts';

export const DEMO_NOTICE = 'DEMO: random weights generated for testing; the output is noise. For the real gpt-oss-20b: `npx bun src/cli.ts pull gpt-oss-20b`, then serve with --model gpt-oss-20b (or --model PATH for a checkpoint you have).';

function modelObject({ model: m, created }: Served) {
  return {
    id: m.id, object: 'model', created, owned_by: 'oss-edge',
    ...(m.demo ? { description: DEMO_NOTICE } : {}),
    meta: { demo: m.demo, source: m.source, context_length: m.context, vocab_size: m.model.vocabSize, backend: m.backend.name, threads: m.backend.threads, weight_bytes: m.backend.weightBytes },
  };
}

export function listModels(host: ModelHost) {
  return function listModels(c: Context): Response {
    return c.json({ object: 'list', data: [modelObject(host.ready())] });
  };
}

export function getModel(host: ModelHost) {
  return function getModel(c: Context): Response {
    const served = host.ready();
    const id = c.req.param('id');
    if (id !== served.model.id) throw new ApiError(404, `the model \`${id}\` does not exist; this server serves \`${served.model.id}\``, 'invalid_request_error', 'model', 'model_not_found');
    return c.json(modelObject(served));
  };
}
