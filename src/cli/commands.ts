// The subcommands of `bun src/cli.ts`: each lives in src/cli/<name>.ts and exports
// `run(argv): Promise<number>` (the exit code), USAGE (its --help) and FLAGS (what it accepts).
// Loading is lazy, so `tokenize` never pays for the engine.
export const COMMANDS: Record<string, { file: string; about: string }> = {
  serve: { file: './serve.ts', about: 'HTTP server (OpenAI and Ollama APIs, a chat page at /)' },
  pull: { file: './pull.ts', about: 'download a model from Hugging Face (gpt-oss-20b, or REPO[:FILE])' },
  list: { file: './list.ts', about: 'models in the Hugging Face cache that serve --model NAME can load' },
  eval: { file: './eval.ts', about: 'golden-format logits for a prompt of ids' },
  tokenize: { file: './tokenize.ts', about: 'stdin text → {"ids": [...]}' },
  detokenize: { file: './detokenize.ts', about: '{"ids": [...]} → text' },
  render: { file: './render.ts', about: 'chat JSON → harmony prompt ids + text' },
  synth: { file: './synth.ts', about: 'synthetic checkpoints (random weights, real layout)' },
};
