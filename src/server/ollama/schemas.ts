// Request bodies of Ollama's API (https://github.com/ollama/ollama/blob/main/docs/api.md), checked
// with zod. As in Ollama, unknown fields and unknown `options` are ignored; the known ones must be
// well typed. Fields this server cannot honour (images, suffix) are refused by the routes with a
// message that says why, never silently dropped.
import { z } from 'zod';

/** `think`: on/off, or gpt-oss's reasoning effort. */
const Think = z.union([z.boolean(), z.enum(['low', 'medium', 'high'])]).nullish();
/** `format`: "json", or a JSON Schema the answer must follow ("" is Ollama's "none"). */
const Format = z.union([z.literal(''), z.literal('json'), z.record(z.string(), z.unknown())], { error: 'must be "json" or a JSON Schema object' }).nullish();
const KeepAlive = z.union([z.string(), z.number()]).nullish();

/** Ollama's runner options; those without a meaning here (num_gpu, mirostat…) are accepted and ignored. */
export const Options = z.looseObject({
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.number().int().min(0).nullish(),
  min_p: z.number().min(0).max(1).nullish(),
  seed: z.number().int().nullish(),
  /** Tokens to generate at most; -1 (and -2, "fill the context") mean no limit but the context. */
  num_predict: z.number().int().min(-2).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(16)]).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  /** The context is fixed when the server starts (serve --ctx); a request cannot grow it. */
  num_ctx: z.number().int().min(1).nullish(),
}).nullish();

const ToolCall = z.looseObject({
  id: z.string().nullish(),
  function: z.looseObject({ name: z.string(), arguments: z.union([z.record(z.string(), z.unknown()), z.string()]).nullish() }),
});

const Images = z.array(z.string()).nullish();

const Message = z.looseObject({
  role: z.enum(['system', 'user', 'assistant', 'tool', 'developer']),
  content: z.string().nullish(),
  thinking: z.string().nullish(),
  images: Images,
  tool_calls: z.array(ToolCall).nullish(),
  tool_name: z.string().nullish(),
});

const Tool = z.looseObject({
  type: z.literal('function').nullish(),
  function: z.looseObject({ name: z.string(), description: z.string().nullish(), parameters: z.record(z.string(), z.unknown()).nullish() }),
});

const Common = {
  model: z.string({ error: 'model is required' }).min(1, 'model is required'),
  stream: z.boolean().nullish(),
  format: Format,
  think: Think,
  keep_alive: KeepAlive,
  options: Options,
};

export const ChatRequest = z.looseObject({
  ...Common,
  messages: z.array(Message).nullish(),
  tools: z.array(Tool).nullish(),
});

export const GenerateRequest = z.looseObject({
  ...Common,
  prompt: z.string().nullish(),
  system: z.string().nullish(),
  suffix: z.string().nullish(),
  raw: z.boolean().nullish(),
  template: z.string().nullish(),
  context: z.array(z.number().int().min(0)).nullish(),
  images: Images,
});

/** /api/show takes `model`, or `name` as older clients send it. */
export const ShowRequest = z.looseObject({ model: z.string().nullish(), name: z.string().nullish(), verbose: z.boolean().nullish() });

export type ChatRequest = z.infer<typeof ChatRequest>;
export type GenerateRequest = z.infer<typeof GenerateRequest>;
export type OllamaMessage = z.infer<typeof Message>;
export type OllamaOptions = z.infer<typeof Options>;
