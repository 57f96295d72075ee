// Reading ../shared/golden folders and comparing logits the way its README suggests (the
// comparison and the folder reader live in bench/golden-check.ts, shared with the GPU-machine script).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readGolden, type Golden } from '../../bench/golden-check.ts';

export { compareRows, f32file, type Diff, type Golden } from '../../bench/golden-check.ts';

export const SHARED = join(import.meta.dir, '..', '..', '..', 'shared');
export const GOLDEN = join(SHARED, 'golden');

export function golden(name: string): Golden {
  return readGolden(join(GOLDEN, name));
}

export const haveShared = existsSync(GOLDEN);
