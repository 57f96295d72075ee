// Reading ../shared/golden folders and comparing logits the way its README suggests (the
// comparison and the folder reader live in bench/golden-check.ts, shared with the GPU-machine script).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'bun:test';
import { compareRows, readGolden, type Golden } from '../../bench/golden-check.ts';

export { compareRows, f32file, type Diff, type Golden } from '../../bench/golden-check.ts';

export const SHARED = join(import.meta.dir, '..', '..', '..', 'shared');
export const GOLDEN = join(SHARED, 'golden');

export function golden(name: string): Golden {
  return readGolden(join(GOLDEN, name));
}

export const haveShared = existsSync(GOLDEN);

/** Rows of logits from one evaluation (engine/evaluate.ts). */
interface Logits { promptLogits: Float32Array; greedyLogits: Float32Array }

/**
 * The fast tier of ../shared/golden/README.md: against both references (the float64 one and
 * llama.cpp's), prompt and forced-greedy rows, mean |d| ≤ 0.05 and argmax agreement ≥ 95 %.
 */
export function expectFastTier(r: Logits, g: Golden): void {
  for (const [mine, ref] of [[r.promptLogits, g.refPrompt], [r.greedyLogits, g.refForced],
    [r.promptLogits, g.llamaPrompt], [r.greedyLogits, g.llamaGreedy]] as const) {
    const d = compareRows(mine, ref, g.vocab);
    expect(d.mean).toBeLessThanOrEqual(0.05);
    expect(d.argmaxAgree).toBeGreaterThanOrEqual(0.95);
  }
}
