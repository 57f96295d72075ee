// Tiny flag parser shared by the commands: --name value, --flag (boolean), positional rest.
// `flags` keeps the last value of a flag; `all` every value of a repeatable one, in order.
export interface Parsed { flags: Map<string, string | true>; rest: string[]; all: Map<string, string[]> }

export function parseArgs(argv: string[]): Parsed {
  const flags = new Map<string, string | true>();
  const all = new Map<string, string[]>();
  const set = (name: string, v: string | true) => {
    flags.set(name, v);
    if (v !== true) all.set(name, [...(all.get(name) ?? []), v]);
  };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) { rest.push(a); continue; }
    const eq = a.indexOf('=');
    if (eq > 0) { set(a.slice(2, eq), a.slice(eq + 1)); continue; }
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) { set(a.slice(2), next); i++; } else set(a.slice(2), true);
  }
  return { flags, rest, all };
}

export function str(p: Parsed, name: string, fallback?: string): string {
  const v = p.flags.get(name);
  if (typeof v === 'string') return v;
  if (fallback !== undefined) return fallback;
  throw new UsageError(`--${name} is required`);
}

export function int(p: Parsed, name: string, fallback: number): number {
  const v = p.flags.get(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`--${name} needs an integer, got ${v}`);
  return n;
}

export class UsageError extends Error {}
