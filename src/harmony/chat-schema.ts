// The OpenAI chat-completions request shapes the renderer accepts (messages, tools,
// reasoning_effort, response_format, plus the Responses-style `instructions`), validated with zod so
// a bad request gets an error that names the field. Unknown fields are allowed and ignored.
import { z } from 'zod';
import { HarmonyError } from './types.ts';

const Text = z.looseObject({ type: z.literal('text'), text: z.string() });
const Content = z
  .union([z.string(), z.array(Text), z.null()], { error: 'must be a string or an array of {"type": "text", "text": …} parts (only text is supported)' })
  .optional();
const Arguments = z.union([z.string(), z.record(z.string(), z.unknown())]);
// Names become `functions.NAME` recipients and `type NAME = …` lines: OpenAI's own rule keeps them
// free of whitespace and header syntax.
export const ToolName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -');

const ToolCall = z.looseObject({
  id: z.string(),
  type: z.literal('function').optional(),
  function: z.looseObject({ name: ToolName, arguments: Arguments }),
});

const Message = z.discriminatedUnion('role', [
  z.looseObject({ role: z.literal('system'), content: Content }),
  z.looseObject({ role: z.literal('developer'), content: Content }),
  z.looseObject({ role: z.literal('user'), content: Content }),
  z.looseObject({
    role: z.literal('assistant'),
    content: Content,
    tool_calls: z.array(ToolCall).nullish(),
    reasoning_content: z.string().nullish(),
    reasoning: z.string().nullish(), // the name some clients (Ollama, OpenRouter) use
  }),
  z.looseObject({ role: z.literal('tool'), content: Content, tool_call_id: z.string().nullish(), name: z.string().nullish() }),
]);

const Tool = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({
    name: ToolName,
    description: z.string().nullish(),
    parameters: z.record(z.string(), z.unknown()).nullish(),
  }),
});

const ResponseFormat = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    json_schema: z.looseObject({ name: z.string().min(1), description: z.string().nullish(), schema: z.record(z.string(), z.unknown()).nullish() }),
  }),
]);

export const ChatRequestSchema = z.looseObject({
  messages: z.array(Message).min(1),
  tools: z.array(Tool).nullish(),
  reasoning_effort: z.enum(['low', 'medium', 'high']).nullish(),
  response_format: ResponseFormat.nullish(),
  instructions: z.string().nullish(),
});

export type ChatRequest = z.infer<typeof ChatRequestSchema>;
export type ChatMessage = ChatRequest['messages'][number];

/** Validates an untrusted request body; throws HarmonyError naming each bad field. */
export function parseChatRequest(body: unknown): ChatRequest {
  const r = ChatRequestSchema.safeParse(body);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`);
  throw new HarmonyError(`invalid chat request: ${problems.join('; ')}`);
}
