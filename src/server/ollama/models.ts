// Ollama's model listings: GET /api/tags (the models served), POST /api/show (one model's details,
// model_info and capabilities), GET /api/ps (the models loaded: here always the one), GET
// /api/version. Every name the model answers to (id and aliases) is listed, as in /v1/models.
import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import { badRequest } from '../errors.ts';
import type { ModelHost, Served } from '../host.ts';
import { parseBody } from '../schemas.ts';
import { ollamaModel } from './errors.ts';
import { ShowRequest } from './schemas.ts';

/** The Ollama release whose API this server follows (think levels, tool calls with index; clients gate features on it). */
export const OLLAMA_API_VERSION = '0.12.6';

/** The model stays loaded until the server stops: Ollama's keep_alive: -1 shows a far expiry. */
const NEVER = '9999-12-31T23:59:59Z';

export function details({ model: m }: Served) {
  const f = m.facts;
  return {
    parent_model: '', format: f?.format ?? 'unknown', family: 'gpt-oss', families: ['gpt-oss'],
    parameter_size: f ? parameterSize(f.parameters) : 'unknown', quantization_level: f ? f.quantization.toUpperCase() : 'unknown',
  };
}

/** 20.9B, 116.8B, 3.1M: Ollama's way of writing a parameter count. */
export function parameterSize(n: number): string {
  const [div, unit] = n >= 1e9 ? [1e9, 'B'] : n >= 1e6 ? [1e6, 'M'] : [1e3, 'K'];
  return `${(n / div).toFixed(1)}${unit}`;
}

/** A stable digest of what is served (Ollama's is the manifest's sha256): the model's id, source and size. */
function digest({ model: m }: Served): string {
  return createHash('sha256').update(`${m.id}\n${m.source}\n${m.backend.weightBytes}`).digest('hex');
}

function entry(served: Served, name: string) {
  return {
    name, model: name, modified_at: new Date(served.created * 1000).toISOString(), size: served.model.backend.weightBytes,
    digest: digest(served), details: details(served),
  };
}

export function ollamaTags(host: ModelHost) {
  return (c: Context) => {
    const served = host.ready();
    return c.json({ models: served.names.map((n) => entry(served, n)) });
  };
}

export function ollamaPs(host: ModelHost) {
  return (c: Context) => {
    const served = host.ready();
    const vram = served.model.backend.name === 'cpu' ? 0 : served.model.backend.weightBytes;
    return c.json({ models: [{ ...entry(served, served.model.id), expires_at: NEVER, size_vram: vram, context_length: served.model.context }] });
  };
}

export function ollamaShow(host: ModelHost) {
  return async (c: Context) => {
    const served = host.ready();
    const req = parseBody(ShowRequest, await c.req.text());
    const name = req.model ?? req.name;
    if (!name) throw badRequest('model is required', 'model');
    ollamaModel(name, served);
    const m = served.model, f = m.facts;
    return c.json({
      modelfile: `# served by oss-edge; the chat format (harmony) is built in\nFROM ${m.source}\nPARAMETER num_ctx ${m.context}\n`,
      parameters: `num_ctx ${m.context}`,
      template: '(harmony, the gpt-oss chat format, rendered by the server)',
      details: details(served),
      model_info: {
        'general.architecture': 'gptoss', 'general.basename': m.id, ...(f ? { 'general.parameter_count': f.parameters } : {}),
        'gptoss.context_length': m.context, 'gptoss.vocab_size': m.model.vocabSize,
        ...(f ? { 'gptoss.block_count': f.layers, 'gptoss.expert_count': f.experts, 'gptoss.embedding_length': f.embeddingLength } : {}),
      },
      capabilities: ['completion', 'tools', 'thinking'],
      modified_at: new Date(served.created * 1000).toISOString(),
    });
  };
}

export function ollamaVersion(c: Context): Response {
  return c.json({ version: OLLAMA_API_VERSION });
}
