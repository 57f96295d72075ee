// oss-edge command line: `bun src/cli.ts <command> [flags]`; the commands are listed in
// src/cli/commands.ts.
import { COMMANDS } from './cli/commands.ts';

const [cmd, ...rest] = process.argv.slice(2);
if (!cmd || !(cmd in COMMANDS) || cmd === '--help' || cmd === '-h') {
  const w = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([c, { about }]) => `  ${c.padEnd(w)}  ${about}`);
  const asked = cmd === '--help' || cmd === '-h';
  (asked ? console.log : console.error)(`usage: bun src/cli.ts <command> [flags]   (<command> --help for its flags)\n${lines.join('\n')}`);
  if (cmd && !asked) console.error(`unknown command ${cmd}`);
  process.exit(cmd && !asked ? 2 : 0);
}
const mod = await import(new URL(`./cli/${COMMANDS[cmd].file.slice(2)}`, import.meta.url).href);
process.exitCode = await mod.run(rest);
