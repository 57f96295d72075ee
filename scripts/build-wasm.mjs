// Builds assembly/ → wasm/*.wasm, one module per entry of BUILDS (src/backends/cpu/wasm-stamp.mjs),
// with SIMD and shared memory (research/feasibility.md §2), and stamps each with the sources'
// hash so a runtime refuses a stale module.
// Usage: node scripts/build-wasm.mjs [--if-stale]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ASC_FLAGS, BUILDS, ROOT, sourceHash, stampPath, wasmPath } from '../src/backends/cpu/wasm-stamp.mjs';

for (const [build, spec] of Object.entries(BUILDS)) {
  const hash = sourceHash(build), out = wasmPath(build), stamp = stampPath(build);
  const fresh = existsSync(out) && existsSync(stamp) && JSON.parse(readFileSync(stamp, 'utf8')).sourceHash === hash;
  if (process.argv.includes('--if-stale') && fresh) continue;
  mkdirSync(join(ROOT, 'wasm'), { recursive: true });
  const asc = join(ROOT, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
  execFileSync(process.execPath, [asc, join(ROOT, spec.entry), ...ASC_FLAGS, ...spec.flags, '-o', out], { stdio: 'inherit', cwd: ROOT });
  writeFileSync(stamp, JSON.stringify({ sourceHash: hash }) + '\n');
  console.log(`built ${out}`);
}
