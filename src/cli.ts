// oss-edge command line: `bun src/cli.ts <command> [flags]`. Each command lives in src/cli/<name>.ts
// and exports `run(argv): Promise<number>` (the exit code); loading is lazy so `tokenize` never
// pays for the engine.
const COMMANDS: Record<string, string> = {
  serve: './cli/serve.ts', //           HTTP server (OpenAI-compatible)
  eval: './cli/eval.ts', //             golden-format logits for a prompt of ids
  tokenize: './cli/tokenize.ts', //     stdin text → {"ids": [...]}
  detokenize: './cli/detokenize.ts', // {"ids": [...]} → text
  render: './cli/render.ts', //         chat JSON → harmony prompt ids + text
  synth: './cli/synth.ts', //           synthetic checkpoints
};

const [cmd, ...rest] = process.argv.slice(2);
if (!cmd || !(cmd in COMMANDS) || cmd === '--help') {
  console.error(`usage: bun src/cli.ts <${Object.keys(COMMANDS).join('|')}> [flags]`);
  process.exit(cmd && cmd !== '--help' ? 2 : 0);
}
const mod = await import(COMMANDS[cmd]);
process.exitCode = await mod.run(rest);
