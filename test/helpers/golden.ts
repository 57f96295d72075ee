// Reading ../shared/golden folders and comparing logits the way its README suggests.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SHARED = join(import.meta.dir, '..', '..', '..', 'shared');
export const GOLDEN = join(SHARED, 'golden');

export function f32file(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export interface Golden {
  dir: string; vocab: number; ids: number[]; greedy: number[];
  refPrompt: Float32Array; refForced: Float32Array; llamaPrompt: Float32Array; llamaGreedy: Float32Array;
}

export function golden(name: string): Golden {
  const dir = join(GOLDEN, name);
  const j = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8'));
  return {
    dir, vocab: j('config.json').vocab_size, ids: j('prompt.json').ids, greedy: j('greedy.json').greedy_ids,
    refPrompt: f32file(join(dir, 'ref', 'ref_hf_logits_prompt.f32')), refForced: f32file(join(dir, 'ref', 'ref_hf_logits_forced.f32')),
    llamaPrompt: f32file(join(dir, 'logits_prompt.f32')), llamaGreedy: f32file(join(dir, 'logits_greedy.f32')),
  };
}

export const haveShared = existsSync(GOLDEN);

export interface Diff { max: number; mean: number; argmaxAgree: number; rows: number }

export function compareRows(a: Float32Array, b: Float32Array, V: number): Diff {
  if (a.length !== b.length) throw new Error(`row counts differ: ${a.length / V} vs ${b.length / V}`);
  let max = 0, sum = 0, agree = 0;
  const rows = a.length / V;
  for (let r = 0; r < rows; r++) {
    let ia = 0, ib = 0;
    for (let i = 0; i < V; i++) {
      const d = Math.abs(a[r * V + i] - b[r * V + i]);
      if (!(d <= max)) max = d; // NaN propagates as a failure
      sum += d;
      if (a[r * V + i] > a[r * V + ia]) ia = i;
      if (b[r * V + i] > b[r * V + ib]) ib = i;
    }
    if (ia === ib) agree++;
  }
  return { max, mean: sum / a.length, argmaxAgree: agree / rows, rows };
}
