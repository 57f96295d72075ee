// bun test preload: rebuild the wasm kernels when assembly/ changed (a test must never run a
// stale module).
import { execFileSync } from 'node:child_process';
execFileSync('node', ['scripts/build-wasm.mjs', '--if-stale'], { stdio: 'inherit' });

// Tests that start processes or servers take seconds on a loaded 2-core machine; Bun's default
// per-test limit is 5 s (bunfig.toml has no such setting), so every file gets a generous one.
// A test that hangs still fails, after 2 minutes.
import { setDefaultTimeout } from 'bun:test';
setDefaultTimeout(120_000);
