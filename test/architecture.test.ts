// The floors of src/ (DESIGN.md "Floors"): a file may import its own floor or lower ones, never a
// higher one, never anything outside src/, and no set of files imports itself in a circle. The
// import graph is read from the sources (static imports, `export … from`, literal dynamic
// imports, type-only ones included: a type arrow that runs back up is a seam in the wrong place).
import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Lowest first. The one place the order is written. */
const FLOORS: readonly (readonly string[])[] = [
  ['model'], //               checkpoint readers → the canonical weight set
  ['synth'], //               writers and the synthetic generator (tools, tests, the demo)
  ['backends'], //            the Backend interface and op table, cpu/, webgpu/, remote/
  ['engine'], //              the forward pass, sessions
  ['tokenizer'],
  ['harmony'],
  ['generate'], //            sampling, stops, the scheduler
  ['server'], //              HTTP (runtime-free, engine-free)
  ['boot'], //                assembles the program: backend choice, demo, engine + tokenizer → server
  ['hub'], //                 Hugging Face downloads and cache (pull, list, serve --model NAME)
  ['cli', 'cli.ts'],
];

const ROOT = resolve(import.meta.dir, '..');
const SRC = join(ROOT, 'src');

export type Graph = Map<string, Set<string>>;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.(ts|mjs)$/.test(f) ? [p] : [];
  });
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?\sfrom\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm;

/** src-relative path → the src-relative (or ../outside) paths it imports. */
export function readGraph(): Graph {
  const g: Graph = new Map();
  for (const file of sources(SRC)) {
    const from = relative(SRC, file), to = new Set<string>();
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (spec.startsWith('.')) to.add(relative(SRC, resolve(dirname(file), spec)));
    }
    g.set(from, to);
  }
  return g;
}

function floorOf(path: string): number {
  const top = path.split('/')[0];
  return FLOORS.findIndex((f) => f.includes(top));
}

/** Every arrow that leaves src/, lands on no floor, or runs up a floor. */
export function upwardImports(g: Graph): string[] {
  const bad: string[] = [];
  for (const [from, tos] of g) {
    const a = floorOf(from);
    if (a < 0) bad.push(`${from}: on no floor (add its folder to FLOORS)`);
    for (const to of tos) {
      if (to.startsWith('..')) { bad.push(`${from} → ${to}: outside src/`); continue; }
      const b = floorOf(to);
      if (b > a) bad.push(`${from} → ${to}: ${FLOORS[a]} imports the higher floor ${FLOORS[b]}`);
    }
  }
  return bad;
}

/** The strongly connected components of more than one file, or a file importing itself (Tarjan). */
export function circles(g: Graph): string[][] {
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const c: string[] = [];
      let w: string;
      do { w = stack.pop()!; on.delete(w); c.push(w); } while (w !== v);
      if (c.length > 1 || g.get(v)!.has(v)) out.push(c.sort());
    }
  };
  for (const v of g.keys()) if (!idx.has(v)) visit(v);
  return out;
}

describe('the floors of src/', () => {
  const g = readGraph();

  test('the graph is read: every file found, imports resolved to files that exist', () => {
    expect(g.size).toBeGreaterThan(100);
    expect(g.get('engine/forward.ts')).toContain('backends/backend.ts');
    for (const tos of g.values()) for (const to of tos) if (!to.startsWith('..')) expect(statSync(join(SRC, to)).isFile()).toBe(true);
  });

  test('no import runs up a floor or out of src/', () => {
    expect(upwardImports(g)).toEqual([]);
  });

  test('no circles', () => {
    expect(circles(g)).toEqual([]);
  });

  test('a planted upward import, a planted import from outside src/ and a planted circle are caught', () => {
    const planted: Graph = new Map([...g].map(([k, v]) => [k, new Set(v)]));
    planted.get('model/types.ts')!.add('server/app.ts');
    planted.get('backends/cpu/module.ts')!.add('../scripts/build-wasm.mjs');
    planted.get('backends/backend.ts')!.add('backends/cpu/cpu-backend.ts'); // cpu-backend → backend.ts already
    expect(upwardImports(planted)).toEqual([
      expect.stringContaining('model/types.ts → server/app.ts: model imports the higher floor server'),
      expect.stringContaining('backends/cpu/module.ts → ../scripts/build-wasm.mjs: outside src/'),
    ].sort() as never);
    expect(circles(planted).some((c) => c.includes('backends/backend.ts') && c.includes('backends/cpu/cpu-backend.ts'))).toBe(true);
  });
});
