// oss-edge command line: `bun src/cli.ts <command> [flags]`. Each command lives in src/cli/<name>.ts
// and exports `run(argv): Promise<number>` (the exit code); loading is lazy so `tokenize` never
// pays for the engine.
const COMMANDS: Record<string, { file: string; about: string }> = {
  serve: { file: './cli/serve.ts', about: 'HTTP server (OpenAI-compatible API and a chat page at /)' },
  pull: { file: './cli/pull.ts', about: 'download a model from Hugging Face (gpt-oss-20b, or REPO[:FILE])' },
  list: { file: './cli/list.ts', about: 'models in the Hugging Face cache that serve --model NAME can load' },
  eval: { file: './cli/eval.ts', about: 'golden-format logits for a prompt of ids' },
  tokenize: { file: './cli/tokenize.ts', about: 'stdin text → {"ids": [...]}' },
  detokenize: { file: './cli/detokenize.ts', about: '{"ids": [...]} → text' },
  render: { file: './cli/render.ts', about: 'chat JSON → harmony prompt ids + text' },
  synth: { file: './cli/synth.ts', about: 'synthetic checkpoints (random weights, real layout)' },
};

const [cmd, ...rest] = process.argv.slice(2);
if (!cmd || !(cmd in COMMANDS) || cmd === '--help') {
  const w = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([c, { about }]) => `  ${c.padEnd(w)}  ${about}`);
  console.error(`usage: bun src/cli.ts <command> [flags]   (<command> --help for its flags)\n${lines.join('\n')}`);
  if (cmd && cmd !== '--help') console.error(`unknown command ${cmd}`);
  process.exit(cmd && cmd !== '--help' ? 2 : 0);
}
const mod = await import(COMMANDS[cmd].file);
process.exitCode = await mod.run(rest);
