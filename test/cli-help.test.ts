// Every subcommand in src/cli/commands.ts answers --help: exit 0, a usage line and one described
// line per flag it accepts (its FLAGS), on stdout, with nothing on stderr; an unknown flag is a
// usage error (exit 2) that names it, never a stack trace. A new command or flag without help fails here.
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { COMMANDS } from '../src/cli/commands.ts';

const ROOT = join(import.meta.dir, '..');

function cli(args: string[]) {
  const p = Bun.spawnSync([process.execPath, 'src/cli.ts', ...args], { cwd: ROOT, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', env: { ...process.env, OSS_EDGE_MODEL: '' } });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

const STACK = /^\s+at |\n\s*\^\n|TypeError|ReferenceError/m;

describe('--help', () => {
  test('the top level lists every command with what it does', () => {
    const r = cli(['--help']);
    expect(r.code).toBe(0);
    const w = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
    for (const [name, { about }] of Object.entries(COMMANDS)) expect(r.out.split('\n')).toContain(`  ${name.padEnd(w)}  ${about}`);
  });

  for (const name of Object.keys(COMMANDS)) {
    test(`${name} --help: exit 0, usage, every accepted flag described`, async () => {
      const r = cli([name, '--help']);
      expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
      expect(r.out).toMatch(/^usage: /);
      const mod = (await import(join(ROOT, 'src/cli', COMMANDS[name].file))) as { FLAGS?: Iterable<string> };
      expect(mod.FLAGS).toBeDefined(); // what the command accepts, so its help can be checked against it
      const flags = [...mod.FLAGS!].filter((f) => f !== 'help');
      expect(flags.length).toBeGreaterThan(0);
      const undocumented = flags.filter((f) => !new RegExp(`^\\s+--${f}\\b[^\\n]*?\\s{2,}\\S`, 'm').test(r.out));
      expect(undocumented).toEqual([]);
    });

    test(`${name} --no-such-flag: exit 2 naming it, no stack trace`, () => {
      const r = cli([name, '--no-such-flag']);
      expect(r.code).toBe(2);
      expect(r.err).toContain('no-such-flag');
      expect(r.err).not.toMatch(STACK);
    });
  }
});
