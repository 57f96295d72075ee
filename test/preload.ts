// bun test preload: rebuild the wasm kernels when assembly/ changed (a test must never run a
// stale module).
import { execFileSync } from 'node:child_process';
execFileSync('node', ['scripts/build-wasm.mjs', '--if-stale'], { stdio: 'inherit' });

