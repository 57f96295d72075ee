// GET /v1/models and /v1/models/:id (OpenAI's list and model objects). The demo checkpoint says
// what it is: random weights, noise for output.
import type { Context } from 'hono';
import type { ModelHost, Served } from '../host.ts';
import { modelNotFound } from '../request.ts';

export const DEMO_NOTICE = 'DEMO: random weights generated for testing; the output is noise. For the real gpt-oss-20b: `npx bun src/cli.ts pull gpt-oss-20b`, then serve with --model gpt-oss-20b (or --model PATH for a checkpoint you have).';

/** One entry per name the model answers to; an alias names the model it stands for in `meta.alias_of`. */
function modelObject({ model: m, created }: Served, name: string) {
  return {
    id: name, object: 'model', created, owned_by: 'oss-edge',
    ...(m.demo ? { description: DEMO_NOTICE } : {}),
    meta: { ...(name !== m.id ? { alias_of: m.id } : {}), demo: m.demo, source: m.source, context_length: m.context, vocab_size: m.model.vocabSize, backend: m.backend.name, threads: m.backend.threads, weight_bytes: m.backend.weightBytes },
  };
}

export function listModels(host: ModelHost) {
  return function listModels(c: Context): Response {
    const served = host.ready();
    return c.json({ object: 'list', data: served.names.map((n) => modelObject(served, n)) });
  };
}

export function getModel(host: ModelHost) {
  return function getModel(c: Context): Response {
    const served = host.ready();
    const id = c.req.param('id') ?? '';
    if (!served.names.includes(id)) throw modelNotFound(id, served);
    return c.json(modelObject(served, id));
  };
}
