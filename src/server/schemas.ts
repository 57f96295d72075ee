// Request bodies of the OpenAI endpoints, checked field by field with zod. The chat messages,
// tools and reasoning_effort come from harmony's own schema; this adds the sampling and streaming
// fields. Unknown fields are ignored (as llama-server and Ollama do); known ones must be well typed.
import { z } from 'zod';
import { ChatRequestSchema } from '../harmony/index.ts';
import { badRequest } from './errors.ts';
import { parseJson } from './json-scan.ts';

const range = (min: number, max: number) => z.number().min(min).max(max).nullish();
const count = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max).nullish();

const Common = {
  model: z.string().nullish(),
  temperature: range(0, 2),
  top_p: range(0, 1),
  top_k: count(0),
  min_p: range(0, 1),
  seed: count(Number.MIN_SAFE_INTEGER),
  stop: z.union([z.string(), z.array(z.string()).max(16)]).nullish(),
  presence_penalty: range(-2, 2),
  frequency_penalty: range(-2, 2),
  logit_bias: z.record(z.string().regex(/^(0|[1-9]\d{0,8})$/, 'keys must be token ids'), z.number().min(-100).max(100)).nullish(),
  max_tokens: count(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  n: z.literal(1, { error: 'only n = 1 is supported' }).nullish(),
  user: z.string().nullish(),
};

export const ChatBody = ChatRequestSchema.extend({
  ...Common,
  max_completion_tokens: count(1),
  logprobs: z.boolean().nullish(),
  top_logprobs: count(0, 20),
  tool_choice: z.union([
    z.enum(['none', 'auto', 'required']),
    z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string() }) }),
  ]).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  /** Analysis tokens before the answer is forced open: -1 unlimited, 0 none (default: serve --reasoning-budget). */
  reasoning_budget: z.number().int().min(-1).max(Number.MAX_SAFE_INTEGER).nullish(),
});

const Ids = z.array(z.number().int().min(0)).min(1);
export const CompletionBody = z.looseObject({
  ...Common,
  prompt: z.union([z.string(), z.array(z.string()).length(1), Ids, z.array(Ids).length(1)], {
    error: 'must be a string or an array of token ids (or a list holding one of them: one prompt per request)',
  }),
  logprobs: count(0, 5),
  echo: z.boolean().nullish(),
  best_of: z.literal(1, { error: 'only best_of = 1 is supported' }).nullish(),
  suffix: z.null({ error: 'suffix (fill-in-the-middle) is not supported' }).optional(),
});

export type ChatBody = z.infer<typeof ChatBody>;
export type CompletionBody = z.infer<typeof CompletionBody>;

/** JSON text → a checked body; a 400 naming the first bad field otherwise. */
export function parseBody<S extends z.ZodType>(schema: S, text: string): z.infer<S> {
  let json: unknown;
  try {
    json = parseJson(text);
  } catch (e) {
    throw badRequest(`the body is not valid JSON (${(e as Error).message})`, null, 'invalid_json');
  }
  return checkBody(schema, json);
}

/** A parsed body → a checked one; a 400 naming the first bad field otherwise. */
export function checkBody<S extends z.ZodType>(schema: S, json: unknown): z.infer<S> {
  const r = schema.safeParse(json);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const param = issue.path.length ? issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('') : null;
  const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more problem${r.error.issues.length > 2 ? 's' : ''})` : '';
  throw badRequest(`${param ?? 'body'}: ${issue.message}${more}`, param, 'invalid_request');
}
