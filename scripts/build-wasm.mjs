// Builds assembly/ → wasm/kernels.wasm with SIMD and shared memory (research/feasibility.md §2)
// and stamps it with the sources' hash so a runtime refuses a stale module.
// Usage: node scripts/build-wasm.mjs [--if-stale]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ASC_FLAGS, ROOT, STAMP_PATH, WASM_PATH, sourceHash } from '../src/backends/cpu/wasm-stamp.mjs';

const hash = sourceHash();
const fresh = existsSync(WASM_PATH) && existsSync(STAMP_PATH) &&
  JSON.parse(readFileSync(STAMP_PATH, 'utf8')).sourceHash === hash;
if (!(process.argv.includes('--if-stale') && fresh)) {
  mkdirSync(join(ROOT, 'wasm'), { recursive: true });
  const asc = join(ROOT, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
  execFileSync(process.execPath, [asc, join(ROOT, 'assembly', 'index.ts'), ...ASC_FLAGS, '-o', WASM_PATH],
    { stdio: 'inherit', cwd: ROOT });
  writeFileSync(STAMP_PATH, JSON.stringify({ sourceHash: hash }) + '\n');
  console.log(`built ${WASM_PATH}`);
}
