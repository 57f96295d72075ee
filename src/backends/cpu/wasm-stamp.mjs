// The one definition of how kernels are built and how staleness is judged; shared by the build
// script and by the runtime loader (src/backends/cpu/module.ts).
// Two builds of assembly/: `baseline` (SIMD128, what every runtime runs) and `relaxed` (adds the
// relaxed-SIMD kernels; a runtime that cannot compile it keeps the baseline — variants.ts).
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const ASC_FLAGS = [
  '-O3', '--runtime', 'stub', '--noAssert', '--enable', 'simd', '--enable', 'threads',
  '--importMemory', '--sharedMemory', '--initialMemory', '1', '--maximumMemory', '65536',
  '--memoryBase', '1024',
];

/** name → entry file and extra flags; each lands in wasm/<file>.wasm with a .stamp.json beside it. */
export const BUILDS = {
  baseline: { entry: 'assembly/index.ts', file: 'kernels', flags: [] },
  relaxed: { entry: 'assembly/index-relaxed.ts', file: 'kernels-relaxed', flags: ['--enable', 'relaxed-simd'] },
};

export const wasmPath = (build) => join(ROOT, 'wasm', `${BUILDS[build].file}.wasm`);
export const stampPath = (build) => join(ROOT, 'wasm', `${BUILDS[build].file}.stamp.json`);

/** Hash of everything a build depends on: its flags and every source in assembly/. */
export function sourceHash(build) {
  const h = createHash('sha256');
  h.update([...ASC_FLAGS, ...BUILDS[build].flags, BUILDS[build].entry].join(' '));
  const dir = join(ROOT, 'assembly');
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.ts')).sort()) {
    h.update(f);
    h.update(readFileSync(join(dir, f)));
  }
  return h.digest('hex');
}
