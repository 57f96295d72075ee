// The one definition of how kernels are built and how staleness is judged; shared by the build
// script and by the runtime loader (src/backends/cpu/module.ts).
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const WASM_PATH = join(ROOT, 'wasm', 'kernels.wasm');
export const STAMP_PATH = join(ROOT, 'wasm', 'kernels.stamp.json');
export const ASC_FLAGS = [
  '-O3', '--runtime', 'stub', '--noAssert', '--enable', 'simd', '--enable', 'threads',
  '--importMemory', '--sharedMemory', '--initialMemory', '1', '--maximumMemory', '65536',
  '--memoryBase', '1024',
];

export function sourceHash() {
  const h = createHash('sha256');
  h.update(ASC_FLAGS.join(' '));
  const dir = join(ROOT, 'assembly');
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.ts')).sort()) {
    h.update(f);
    h.update(readFileSync(join(dir, f)));
  }
  return h.digest('hex');
}
