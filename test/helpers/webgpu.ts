// Whether this machine can run the WebGPU tests, asked once per test process: Deno (from
// node_modules) starts the backend's child process, which reports the adapter it finds. Without
// one the GPU tests skip with the reason printed, except under CI=true, where they must fail:
// CI installs Mesa's lavapipe (.ci/run), so a missing adapter there is a broken setup.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { denoPath } from '../../src/backends/remote/remote-backend.ts';
import type { AdapterInfo } from '../../src/backends/webgpu/device.ts';
import { FrameDecoder, type Reply } from '../../src/backends/remote/frames.ts';

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

/** True when the GPU tests should run; otherwise prints why they skip (and fails them under CI). */
export function gpuTests(what: string): boolean {
  const s = webgpuStatus();
  if (s.ok) return true;
  if (process.env.CI === 'true') throw new Error(`${what}: no WebGPU adapter under CI=true (${s.reason}); .ci/run installs mesa-vulkan-drivers for lavapipe`);
  console.log(`[skip] ${what}: no WebGPU adapter (${s.reason}); \`apt-get install mesa-vulkan-drivers\` gives a software one`);
  return false;
}
