// The eval command's contract (issue 2): files in the golden layout, usage errors exit 2.
import { expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareRows, f32file, golden } from './helpers/golden.ts';

const CLI = join(import.meta.dir, '..', 'src', 'cli.ts');

test('eval writes logits_prompt.f32, greedy.json and logits_greedy.f32 as the golden folders', () => {
  const g = golden('tiny-b');
  const out = mkdtempSync(join(tmpdir(), 'oss-edge-eval-'));
  try {
    const r = spawnSync(process.execPath, [CLI, 'eval', '--model', join(g.dir, 'model.gguf'), '--prompt', join(g.dir, 'prompt.json'),
      '--greedy', String(g.greedy.length), '--out', out, '--precision', 'exact', '--threads', '2'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'greedy.json'), 'utf8')).greedy_ids).toEqual(g.greedy);
    expect(compareRows(f32file(join(out, 'logits_prompt.f32')), g.refPrompt, g.vocab).max).toBeLessThanOrEqual(1e-3);
    expect(compareRows(f32file(join(out, 'logits_greedy.f32')), g.refForced, g.vocab).max).toBeLessThanOrEqual(1e-3);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('eval reports bad arguments and bad files without a stack trace', () => {
  const g = golden('tiny-a');
  const out = mkdtempSync(join(tmpdir(), 'oss-edge-eval-bad-'));
  try {
    const bad = spawnSync(process.execPath, [CLI, 'eval', '--model', join(g.dir, 'model.gguf'), '--prompt', join(g.dir, 'prompt.json'), '--out', out, '--precision', 'half'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--precision');
    const nowhere = join(out, 'nonexistent.gguf');
    const missing = spawnSync(process.execPath, [CLI, 'eval', '--model', nowhere, '--prompt', join(g.dir, 'prompt.json'), '--out', out], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain(nowhere);
    expect(missing.stderr).not.toContain('    at ');
    expect(readdirSync(out)).toEqual([]); // neither run wrote anything
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
