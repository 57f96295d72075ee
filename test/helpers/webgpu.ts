// Whether this machine can run the WebGPU tests, asked once per test process: Deno (from
// node_modules) starts the backend's child process, which reports the adapter it finds. The rule
// for a missing adapter is test/helpers/requirements.ts: the GPU tests fail saying so, unless
// OSS_EDGE_SKIP_GPU=1 outside CI (CI installs Mesa's lavapipe, .ci/run).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { denoPath } from '../../src/backends/remote/remote-backend.ts';
import type { AdapterInfo } from '../../src/backends/webgpu/device.ts';
import { FrameDecoder, type Reply } from '../../src/backends/remote/frames.ts';
import { requires, type Requirement } from './requirements.ts';

export const DENO = denoPath();
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface GpuStatus { ok: boolean; reason: string; adapter: AdapterInfo | null }

let cached: GpuStatus | null = null;

export function webgpuStatus(): GpuStatus {
  if (cached) return cached;
  const child = fileURLToPath(new URL('../../src/backends/remote/child.ts', import.meta.url));
  const r = spawnSync(DENO, ['run', '-A', '--quiet', child], { cwd: ROOT, input: '', timeout: 120_000 });
  if (r.error) return (cached = { ok: false, reason: `cannot run Deno (${DENO}): ${r.error.message}`, adapter: null });
  const hello = (new FrameDecoder().push(new Uint8Array(r.stdout)) as Reply[]).find((m) => m.t === 'hello');
  if (!hello || hello.t !== 'hello') return (cached = { ok: false, reason: `the Deno child said nothing (exit ${r.status}): ${String(r.stderr).trim()}`, adapter: null });
  return (cached = hello.adapter ? { ok: true, reason: hello.adapter.description, adapter: hello.adapter } : { ok: false, reason: hello.why, adapter: null });
}

export const WEBGPU: Requirement = {
  what: 'a WebGPU adapter', optOut: 'OSS_EDGE_SKIP_GPU',
  missing: () => { const s = webgpuStatus(); return s.ok ? null : s.reason; },
  fix: '`apt-get install mesa-vulkan-drivers` gives a software one (lavapipe; .ci/run installs it)',
};

/** True when the GPU tests of `suite` run here (requirements.ts: missing → a failing test, opted out → a banner). */
export function gpuTests(suite: string): boolean {
  return requires(WEBGPU, suite);
}
