// Request limits: each one a `serve` flag, its default, and the status a request past it gets (in
// OpenAI's error shape, naming the limit and the flag that raises it). The one table the CLI
// (flags, usage) and the guards (guard.ts) read.

export interface Limits {
  /** Largest request body in bytes → 413. */
  maxBodyBytes: number;
  /** Deepest JSON nesting of a body ({ and [ levels) → 400, checked before parsing. */
  maxJsonDepth: number;
  /** Most messages in a chat request (or input items) → 400. */
  maxMessages: number;
  /** Most tools in a request → 400. */
  maxTools: number;
  /** Deepest JSON Schema (a tool's parameters, a response_format schema), as JSON nesting → 400. */
  maxSchemaDepth: number;
  /** Largest JSON Schema text, all of a request's schemas together, in bytes → 400. */
  maxSchemaBytes: number;
  /** Total UTF-8 bytes of every string in a body (the text that can reach the prompt) → 413. */
  maxPromptBytes: number;
  /** Total bytes of the request headers (names and values) → 431. */
  maxHeaderBytes: number;
}

export interface LimitFlag {
  key: keyof Limits;
  flag: string;
  /** What the number counts, for the usage text. */
  unit: string;
  help: string;
  default: number;
  /** Smallest value that still lets a normal request through. */
  min: number;
}

export const LIMIT_FLAGS: readonly LimitFlag[] = [
  { key: 'maxBodyBytes', flag: 'max-body', unit: 'BYTES', help: 'largest request body', default: 8 << 20, min: 1024 },
  { key: 'maxPromptBytes', flag: 'max-prompt-bytes', unit: 'BYTES', help: 'total text in a request (all its strings)', default: 4 << 20, min: 1024 },
  { key: 'maxJsonDepth', flag: 'max-json-depth', unit: 'N', help: 'deepest JSON nesting of a body', default: 64, min: 8 },
  { key: 'maxMessages', flag: 'max-messages', unit: 'N', help: 'most messages in a request', default: 2048, min: 1 },
  { key: 'maxTools', flag: 'max-tools', unit: 'N', help: 'most tools in a request', default: 128, min: 1 },
  { key: 'maxSchemaDepth', flag: 'max-schema-depth', unit: 'N', help: 'deepest JSON nesting of a tool or response_format schema', default: 32, min: 4 },
  { key: 'maxSchemaBytes', flag: 'max-schema-bytes', unit: 'BYTES', help: "a request's JSON Schemas, all together", default: 256 << 10, min: 1024 },
  { key: 'maxHeaderBytes', flag: 'max-header-bytes', unit: 'BYTES', help: 'request headers, all together (the runtime refuses past 16 KiB itself)', default: 8 << 10, min: 1024 },
];

export const DEFAULT_LIMITS: Limits = Object.fromEntries(LIMIT_FLAGS.map((f) => [f.key, f.default])) as unknown as Limits;

export function limitsWith(partial: Partial<Limits> = {}): Limits {
  const out = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(partial) as Array<[keyof Limits, number | undefined]>) if (v !== undefined) out[k] = v;
  return out;
}

/** `--max-json-depth` for the limit stored under `key`: error messages tell how to raise it. */
export function flagOf(key: keyof Limits): string {
  return `--${LIMIT_FLAGS.find((f) => f.key === key)!.flag}`;
}
