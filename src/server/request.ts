// What the two generation endpoints share: the model check, sampling options from the body
// (logit_bias ids checked against the vocabulary), and submitting to the scheduler with its
// refusals mapped to HTTP (429 + Retry-After for a full queue, 400 for a prompt over the context).
import type { Context } from 'hono';
import { recordUsage } from './access-log.ts';
import { QueueFullError, type End, type GenerateJob, type SamplingOptions } from '../generate/index.ts';
import { ApiError, badRequest } from './errors.ts';
import type { Served } from './host.ts';
import type { CompletionBody } from './schemas.ts';

type Common = Pick<CompletionBody, 'model' | 'temperature' | 'top_p' | 'top_k' | 'min_p' | 'seed' | 'presence_penalty' | 'frequency_penalty' | 'logit_bias' | 'stop'>;

/** The name to report for `model` (as asked, or the model's id); 404 model_not_found for a name not served here. */
export function checkModel(model: string | null | undefined, served: Served): string {
  if (!model) return served.model.id;
  if (!served.names.includes(model)) throw modelNotFound(model, served);
  return model;
}

/** OpenAI's answer for a model it does not have (404, code model_not_found). */
export function modelNotFound(model: string, served: Served): ApiError {
  const names = served.names.map((n) => `\`${n}\``).join(', ');
  return new ApiError(404, `the model \`${model}\` does not exist; this server serves ${names} (GET /v1/models)`, 'invalid_request_error', 'model', 'model_not_found');
}

export function samplingOf(b: Common, served: Served, logprobs: number | undefined): SamplingOptions {
  const bias = new Map<number, number>();
  for (const [key, v] of Object.entries(b.logit_bias ?? {})) {
    const id = Number(key);
    if (id >= served.model.limit) throw badRequest(`logit_bias: token id ${id} is outside the vocabulary (0 … ${served.model.limit - 1})`, 'logit_bias', 'invalid_logit_bias');
    bias.set(id, v);
  }
  return {
    temperature: b.temperature ?? undefined, topP: b.top_p ?? undefined, topK: b.top_k ?? undefined, minP: b.min_p ?? undefined,
    presencePenalty: b.presence_penalty ?? undefined, frequencyPenalty: b.frequency_penalty ?? undefined,
    logitBias: bias, seed: b.seed ?? randomSeed(), logprobs,
  };
}

export function stopsOf(stop: string | string[] | null | undefined): string[] {
  return stop == null ? [] : typeof stop === 'string' ? [stop] : stop;
}

/** Submits a job; 429 when the queue is full, 400 (naming `param`) when the prompt does not fit. */
export function submit<E>(served: Served, job: GenerateJob<E>, param: string): AsyncIterableIterator<E | End> {
  try {
    return served.scheduler.submit(job);
  } catch (e) {
    if (e instanceof QueueFullError) {
      throw new ApiError(429, `the server is busy: ${e.message}; retry shortly`, 'rate_limit_error', null, 'queue_full', { 'Retry-After': '1' });
    }
    if (e instanceof RangeError) throw badRequest(e.message, param, 'context_length_exceeded');
    throw e;
  }
}

/** A generation that failed or was cancelled has no response to give. With `c`: its tokens go to the access log. */
export function checkEnd(e: End, c?: Context): void {
  if (c) recordUsage(c, e.usage);
  if (e.finish === 'error') throw new ApiError(500, `generation failed: ${e.error}`, 'server_error', null, 'generation_failed');
}

function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}
