// Flags described once: a command's table gives both its `--help` lines and what its parser
// accepts (a flag cannot be accepted without being documented, nor documented without being read).
// Each command module exports USAGE (printed by --help, exit 0) and FLAGS (the names it accepts;
// test/cli-help.test.ts checks every one is described in USAGE).
import { parseArgs } from 'node:util';
import { UsageError } from './args.ts';

export interface FlagDoc {
  flag: string;
  /** The value's placeholder (PATH, N); absent for a boolean flag. */
  arg?: string;
  help: string;
}

/** `  --flag ARG          help` lines, aligned as the other commands' help is. */
export function flagLines(flags: readonly FlagDoc[]): string {
  return flags.map((f) => {
    const head = `  --${f.flag}${f.arg ? ` ${f.arg}` : ''}`;
    return `${head.padEnd(22)}${head.length >= 22 ? '  ' : ''}${f.help}`;
  }).join('\n');
}

/**
 * argv → the table's values, strictly (an unknown flag or a missing value is a UsageError, never a
 * stack trace); `help: true` when --help was given.
 */
export function parseFlags(argv: string[], flags: readonly FlagDoc[]): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const options = Object.fromEntries([...flags, { flag: 'help' }].map((f) => [f.flag, { type: 'arg' in f && f.arg ? 'string' as const : 'boolean' as const }]));
  try {
    const r = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export const HELP_LINE: FlagDoc = { flag: 'help', help: 'this help' };
