// The corrupted-checkpoint suite (issue 11): hundreds of damaged checkpoints made deterministically
// from the golden models and small synthetic ones (test/helpers/damage*.ts). Each is loaded as the
// engine loads it (header, every weight filled and checked, the first-pass probe) and must end as
// its case allows: a ModelLoadError naming the file and the problem — never another error, a wasm
// trap, a typed-array RangeError or a hang — or, if it loads, logits bit for bit those of the
// undamaged model (the damage changed nothing the engine uses), unless the damage is a value
// change the case declares (an in-range config value: the config must then differ), a consistent
// lie, or a flip inside raw weight data (which no format can detect). Counts per class are printed.
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCpuBackend } from '../src/backends/cpu/cpu-backend.ts';
import { Engine } from '../src/engine/engine.ts';
import { writeGguf } from '../src/synth/gguf-write.ts';
import { writeHf } from '../src/synth/safetensors-write.ts';
import { synthCheckpoint } from '../src/synth/generator.ts';
import { configOfJson, presetConfigJson } from '../src/synth/presets.ts';
import { ModelLoadError, type ModelConfig } from '../src/model/types.ts';
import { ggufCases } from './helpers/damage-gguf.ts';
import { hfCases } from './helpers/damage-hf.ts';
import { LIGHT, type Case, type Source } from './helpers/damage.ts';
import { GOLDEN, golden } from './helpers/golden.ts';
import { tempDir } from './helpers/model-files.ts';

const tmp = tempDir('damage');
afterAll(tmp.cleanup);
const IDS = golden('tiny-a').ids.slice(0, 8);
const OPTS = { threads: 1, context: 16, maxBatch: 8, precision: 'exact' } as const;
/** bun:test's limit per source: generous; the whole suite runs in well under a minute when the machine is quiet. */
const SOURCE_MS = 120_000;

const readDir = (dir: string) => new Map(readdirSync(dir).filter((f) => !f.startsWith('.')).map((f) => [f, new Uint8Array(readFileSync(join(dir, f)))]));

function goldenGguf(name: string): Source {
  return { name: `${name} gguf`, files: new Map([['model.gguf', new Uint8Array(readFileSync(join(GOLDEN, name, 'model.gguf')))]]), entry: 'model.gguf' };
}
function goldenHf(name: string): Source {
  const files = new Map(['config.json', 'model.safetensors'].map((f) => [f, new Uint8Array(readFileSync(join(GOLDEN, name, f)))]));
  return { name: `${name} hf`, files, entry: '' };
}
const tiny = (seed: number) => synthCheckpoint(configOfJson(presetConfigJson('tiny')), { seed });
function synthGguf(name: string, seed: number, opts: Parameters<typeof writeGguf>[2]): Source {
  const p = join(tmp.dir, `${name.replace(/\W+/g, "-")}.gguf`);
  writeGguf(p, tiny(seed), opts);
  return { name, files: new Map([['model.gguf', new Uint8Array(readFileSync(p))]]), entry: 'model.gguf' };
}
function synthHf(name: string, seed: number, opts: Parameters<typeof writeHf>[2]): Source {
  const dir = join(tmp.dir, name.replace(/\W+/g, '-'));
  writeHf(dir, tiny(seed), opts);
  return { name, files: readDir(dir), entry: '' };
}

type Outcome = { kind: 'error'; err: ModelLoadError } | { kind: 'loaded'; config: ModelConfig; logits: Float32Array } | { kind: 'crash'; err: unknown };

/** Loads as the engine does (every weight filled and checked, the probe pass) and evaluates the prompt. */
async function evaluate(path: string): Promise<Outcome> {
  let m: Engine;
  try {
    m = await Engine.load(path, OPTS, createCpuBackend);
  } catch (err) {
    return err instanceof ModelLoadError ? { kind: 'error', err } : { kind: 'crash', err };
  }
  try {
    const logits = await m.newSession(16).eval(IDS, 'all');
    return { kind: 'loaded', config: m.config, logits };
  } catch (err) {
    return { kind: 'crash', err };
  } finally {
    m.release();
  }
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Writes the source's files with the case's replacements into `dir` (emptied first). */
function materialise(src: Source, c: Case | null, dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [f, b] of src.files) if (!c || !(f in c.files)) writeFileSync(join(dir, f), b);
  for (const [f, b] of Object.entries(c?.files ?? {})) if (b !== null) writeFileSync(join(dir, f), b);
  return src.entry ? join(dir, src.entry) : dir;
}

interface Tally { tried: number; error: number; identical: number; changed: number }
const report = new Map<string, Tally>();
let totalTried = 0;

afterAll(() => {
  const rows = [...report].sort((a, b) => a[0].localeCompare(b[0]));
  const sum = rows.reduce((s, [, t]) => ({ tried: s.tried + t.tried, error: s.error + t.error, identical: s.identical + t.identical, changed: s.changed + t.changed }),
    { tried: 0, error: 0, identical: 0, changed: 0 });
  const line = (name: string, t: Tally) => `${name.padEnd(58)} ${String(t.tried).padStart(5)} ${String(t.error).padStart(6)} ${String(t.identical).padStart(9)} ${String(t.changed).padStart(7)}`;
  console.log(['', `${'damaged checkpoints, by class'.padEnd(58)} ${'tried'.padStart(5)} ${'error'.padStart(6)} ${'identical'.padStart(9)} ${'changed'.padStart(7)}`,
    ...rows.map(([n, t]) => line(n, t)), line('total', sum)].join('\n'));
});

async function runSource(src: Source, cases: Case[]): Promise<void> {
  const dir = join(tmp.dir, `case-${src.name.replace(/\W+/g, '-')}`);
  const base = await evaluate(materialise(src, null, dir));
  if (base.kind !== 'loaded') throw new Error(`the undamaged ${src.name} does not load: ${String(base.err)}`);
  const problems: string[] = [];
  for (const c of cases) {
    const o = await evaluate(materialise(src, c, dir));
    const tag = `${src.name}: ${c.cls}: ${c.what}`;
    const t = report.get(c.cls) ?? { tried: 0, error: 0, identical: 0, changed: 0 };
    report.set(c.cls, t);
    t.tried++;
    totalTried++;
    if (o.kind === 'crash') {
      problems.push(`${tag}: not a ModelLoadError: ${o.err instanceof Error ? `${o.err.name}: ${o.err.message}` : String(o.err)}`);
      continue;
    }
    if (o.kind === 'error') {
      t.error++;
      const msg = o.err.message;
      if (!o.err.file.startsWith(dir)) problems.push(`${tag}: the error names ${o.err.file}, not a file of the checkpoint`);
      for (const n of c.names ?? []) if (typeof n === 'string' ? !msg.includes(n) : !n.test(msg)) problems.push(`${tag}: the error does not mention ${String(n)}: ${msg}`);
      continue; // an error is allowed for every case: it must only be a clean one
    }
    const identical = sameBits(o.logits, base.logits);
    identical ? t.identical++ : t.changed++;
    if (!o.logits.every(Number.isFinite)) problems.push(`${tag}: loaded and served non-finite logits`);
    if (c.expect === 'error') problems.push(`${tag}: loaded (${identical ? 'identical' : 'changed'} logits) but must be refused`);
    else if (c.expect === 'error|identical' && !identical) problems.push(`${tag}: loaded with changed logits`);
    else if (c.expect === 'value' && !identical && JSON.stringify(o.config) === JSON.stringify(base.config)) {
      problems.push(`${tag}: loaded with changed logits but the same config (the damage was not a config value)`);
    }
  }
  expect(problems).toEqual([]);
}

const SOURCES: [() => Source, (s: Source) => Case[]][] = [
  [() => goldenGguf('tiny-a'), (s) => ggufCases(s, 1)],
  [() => goldenGguf('tiny-b'), (s) => ggufCases(s, 2, LIGHT)],
  [() => synthGguf('synthetic tiny gguf, Q8_0 dense, concatenated gate/up', 3, { dense: 'q8_0', gateUp: 'concat' }), (s) => ggufCases(s, 3)],
  [() => synthGguf('synthetic tiny gguf, BF16 dense, F16 experts', 4, { dense: 'bf16', experts: 'f16' }), (s) => ggufCases(s, 4)],
  [() => goldenHf('tiny-a'), (s) => hfCases(s, 5)],
  [() => goldenHf('tiny-b'), (s) => hfCases(s, 6, LIGHT)],
  [() => synthHf('synthetic tiny hf, F32, 3 shards', 7, { dense: 'f32', shardBytes: 120_000 }), (s) => hfCases(s, 7)],
];

describe('damaged checkpoints', () => {
  for (const [make, casesOf] of SOURCES) {
    const src = make();
    const cases = casesOf(src);
    test(`${src.name}: ${cases.length} damaged copies`, () => runSource(src, cases), SOURCE_MS);
  }
  test('at least 300 damaged checkpoints were tried', () => {
    expect(totalTried).toBeGreaterThanOrEqual(300);
  });
});
