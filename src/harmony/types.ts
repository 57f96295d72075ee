// Harmony conversation model (spec §6.1–6.4), mirroring the openai/harmony library's Message,
// SystemContent and DeveloperContent so its fixtures can be reproduced one to one. The OpenAI
// chat-completions shapes are mapped onto this in chat-prompt.ts.

export type Role = 'system' | 'developer' | 'user' | 'assistant' | 'tool';
export const ROLES: readonly Role[] = ['system', 'developer', 'user', 'assistant', 'tool'];

export type ReasoningEffort = 'low' | 'medium' | 'high';

/** A JSON Schema as given by an API caller (only the parts schema-ts.ts reads are typed). */
export type JsonSchema = Record<string, unknown>;

export interface ToolDescription {
  name: string;
  description: string;
  /** No parameters → `type name = () => any;` */
  parameters?: JsonSchema;
}

/** A `## name` block of a `# Tools` section: `functions`, or the built-in `browser` / `python`. */
export interface ToolNamespace {
  name: string;
  description?: string;
  tools: ToolDescription[];
}

/** System message content (spec §6.3). An absent field is not rendered. */
export interface SystemContent {
  type: 'system';
  modelIdentity?: string;
  knowledgeCutoff?: string;
  currentDate?: string;
  reasoningEffort?: ReasoningEffort;
  /** Built-in tools (browser, python); rendered ordered by name. */
  tools?: ToolNamespace[];
  channels?: { valid: string[]; required: boolean };
}

/** Developer message content (spec §6.4). */
export interface DeveloperContent {
  type: 'developer';
  instructions?: string;
  /** Function tools, normally one `functions` namespace. */
  tools?: ToolNamespace[];
  /** Structured output hint: `# Response Formats` (spec §6.4). */
  responseFormat?: { name: string; description?: string; schema: JsonSchema };
}

export interface HarmonyMessage {
  role: Role;
  /** Tool messages: the author, e.g. `functions.get_weather` (rendered instead of the role). */
  name?: string;
  recipient?: string;
  channel?: string;
  /** e.g. `<|constrain|>json` (the marker is rendered as the special token) or `code`. */
  contentType?: string;
  content: string | SystemContent | DeveloperContent;
}

/** A request the renderer cannot express: names the message and the problem. */
export class HarmonyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HarmonyError';
  }
}
