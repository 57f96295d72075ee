// bun test preload: rebuild the wasm kernels when assembly/ changed (a test must never run a
// stale module), and give every test file a generous per-test limit.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { plugin } from 'bun';

execFileSync('node', ['scripts/build-wasm.mjs', '--if-stale'], { stdio: 'inherit' });

// Tests that start processes or servers take seconds on a loaded 2-core machine; Bun's default
// per-test limit is 5 s. Neither bunfig.toml ([test] timeout is not read) nor setDefaultTimeout
// here works: Bun 1.4.5 resets the default for each file, so a call in this preload reaches the
// first file only (measured: the second file's 6 s test timed out at 5 s). So each test file gets
// the call prepended, on its first line (line numbers in stack traces stay right). The limit is a
// hang detector, not a speed check: a test that hangs still fails, after 2 minutes; the few that
// legitimately run longer (cold WebGPU pipelines on a software rasteriser) say so themselves.
const TEST_TIMEOUT_MS = 120_000;
plugin({
  name: 'oss-edge-default-timeout',
  setup(build) {
    build.onLoad({ filter: /\.test\.ts$/ }, ({ path }) => ({
      contents: `import { setDefaultTimeout as __ossEdgeTimeout } from 'bun:test'; __ossEdgeTimeout(${TEST_TIMEOUT_MS}); ${readFileSync(path, 'utf8')}`,
      loader: 'ts',
    }));
  },
});
