// The body of POST /v1/responses (https://platform.openai.com/docs/api-reference/responses/create),
// checked with zod. `input` items are checked one by one in input.ts (each kind has its own shape);
// fields this server cannot honour are refused by name rather than silently dropped.
import { z } from 'zod';
import { ToolName } from '../../harmony/index.ts';

const range = (min: number, max: number) => z.number().min(min).max(max).nullish();
const refuse = (what: string) => z.unknown().refine((v) => v == null || v === false, { error: `${what} is not supported by this server` }).optional();

export const FunctionTool = z.looseObject({
  type: z.literal('function'),
  name: ToolName,
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

/** Any tool: function tools are checked as such; the others (web_search, …) are the route's to refuse or ignore. */
const Tool = z.looseObject({ type: z.string() });

export const TextFormat = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -'),
    description: z.string().nullish(),
    schema: z.record(z.string(), z.unknown()),
    strict: z.boolean().nullish(),
  }),
]);

export const ResponsesBody = z.looseObject({
  model: z.string().nullish(),
  input: z.union([z.string(), z.array(z.record(z.string(), z.unknown()))], { error: 'must be a string or an array of input items' }).nullish(),
  instructions: z.string().nullish(),
  tools: z.array(Tool).nullish(),
  tool_choice: z.union([
    z.enum(['none', 'auto', 'required']),
    z.looseObject({ type: z.string(), name: z.string().nullish() }),
  ]).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  reasoning: z.looseObject({
    effort: z.enum(['none', 'minimal', 'low', 'medium', 'high']).nullish(),
    summary: z.enum(['auto', 'concise', 'detailed']).nullish(),
  }).nullish(),
  max_output_tokens: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).nullish(),
  temperature: range(0, 2),
  top_p: range(0, 1),
  text: z.looseObject({ format: TextFormat.nullish() }).nullish(),
  metadata: z.record(z.string().max(64), z.string().max(512)).refine((m) => Object.keys(m).length <= 16, { error: 'at most 16 keys' }).nullish(),
  user: z.string().nullish(),
  store: z.boolean().nullish(),
  previous_response_id: z.string().nullish(),
  stream: z.boolean().nullish(),
  truncation: z.enum(['auto', 'disabled']).nullish(),
  /** This server's extensions, as on chat: the analysis token budget and a sampling seed. */
  reasoning_budget: z.number().int().min(-1).max(Number.MAX_SAFE_INTEGER).nullish(),
  seed: z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER).nullish(),
  background: refuse('background mode'),
  conversation: refuse('conversation (use previous_response_id)'),
  prompt: refuse('a stored prompt'),
});

export type ResponsesBody = z.infer<typeof ResponsesBody>;
