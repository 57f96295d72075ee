// --backend auto | cpu | webgpu: the decision on fake adapter lists (no GPU needed), the error
// without an adapter, and the eval CLI end to end on this machine.
import { afterAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseBackend, isSoftware, NoAdapterError, resolveBackend, type Probe } from '../src/boot/backend-choice.ts';
import type { AdapterInfo } from '../src/backends/webgpu/device.ts';
import { compareRows, f32file, golden } from './helpers/golden.ts';
import { webgpuStatus } from './helpers/webgpu.ts';

const adapter = (description: string, isFallbackAdapter: boolean, vendor = ''): AdapterInfo => ({
  description, vendor, architecture: '', isFallbackAdapter, features: [], maxStorageBufferBindingSize: 1 << 27, maxBufferSize: 2 ** 31 - 1,
});
const LAVAPIPE = adapter('llvmpipe (LLVM 15.0.6, 256 bits)', true);
const H100 = adapter('NVIDIA H100 80GB HBM3', false, 'nvidia');
const SWIFTSHADER_UNFLAGGED = adapter('SwiftShader Device (Subzero)', false); // a software adapter that does not say so
const APPLE = adapter('', false, 'apple');

describe('chooseBackend (fake adapter lists)', () => {
  test('auto: a hardware adapter → webgpu on it', () => {
    expect(chooseBackend('auto', [H100])).toMatchObject({ kind: 'webgpu', adapter: H100 });
    expect(chooseBackend('auto', [LAVAPIPE, H100])).toMatchObject({ kind: 'webgpu', adapter: H100 });
    expect(chooseBackend('auto', [APPLE]).kind).toBe('webgpu');
  });
  test('auto: only software adapters, or none → cpu, saying why', () => {
    const sw = chooseBackend('auto', [LAVAPIPE]);
    expect(sw).toMatchObject({ kind: 'cpu', adapter: null });
    expect(sw.reason).toContain('llvmpipe');
    expect(sw.reason).toContain('--backend webgpu');
    expect(chooseBackend('auto', [SWIFTSHADER_UNFLAGGED]).kind).toBe('cpu');
    expect(chooseBackend('auto', [], 'Bun has no WebGPU').reason).toContain('Bun has no WebGPU');
  });
  test('webgpu: any adapter, a hardware one first; none → NoAdapterError with the fix', () => {
    expect(chooseBackend('webgpu', [LAVAPIPE])).toMatchObject({ kind: 'webgpu', adapter: LAVAPIPE });
    expect(chooseBackend('webgpu', [LAVAPIPE, H100]).adapter).toBe(H100);
    expect(() => chooseBackend('webgpu', [], 'Deno found no WebGPU adapter')).toThrow(NoAdapterError);
    expect(() => chooseBackend('webgpu', [])).toThrow(/no WebGPU adapter.*mesa-vulkan-drivers.*--backend cpu/);
  });
  test('cpu never looks at adapters; unknown choices are refused', () => {
    expect(chooseBackend('cpu', [H100]).kind).toBe('cpu');
    expect(() => chooseBackend('gpu' as never, [H100])).toThrow(/unknown backend/);
  });
  test('software detection: the flag or a known software renderer name', () => {
    expect([LAVAPIPE, SWIFTSHADER_UNFLAGGED, adapter('Microsoft Basic Render Driver', false)].every(isSoftware)).toBe(true);
    expect([H100, APPLE, adapter('AMD Radeon RX 7900', false)].some(isSoftware)).toBe(false);
  });
});

describe('resolveBackend (injected probes)', () => {
  const fakeProbe = (adapters: AdapterInfo[]) => {
    const log: string[] = [];
    const probe: Probe = {
      adapters, why: adapters.length ? '' : 'none here',
      async open(i) { log.push(`open ${i}`); return () => { throw new Error('not in this test'); }; },
      dispose() { log.push('dispose'); },
    };
    return { log, probe: async () => probe };
  };
  test('auto on lavapipe alone: the CPU factory, the probe disposed, nothing opened', async () => {
    const f = fakeProbe([LAVAPIPE]);
    const r = await resolveBackend('auto', { probe: f.probe });
    expect(r.kind).toBe('cpu');
    expect(f.log).toEqual(['dispose']);
    expect(r.create.name).toBe('createCpuBackend');
  });
  test('auto with a GPU: the adapter opened, dispose left to the caller', async () => {
    const f = fakeProbe([LAVAPIPE, H100]);
    const r = await resolveBackend('auto', { probe: f.probe });
    expect(r.kind).toBe('webgpu');
    expect(f.log).toEqual(['open 1']);
    r.dispose();
    expect(f.log).toEqual(['open 1', 'dispose']);
  });
  test('webgpu without adapters rejects with the reason and disposes the probe', async () => {
    const f = fakeProbe([]);
    await expect(resolveBackend('webgpu', { probe: f.probe })).rejects.toThrow(/none here/);
    expect(f.log).toEqual(['dispose']);
  });
  test('cpu does not probe', async () => {
    const r = await resolveBackend('cpu', { probe: () => { throw new Error('probed'); } });
    expect(r.kind).toBe('cpu');
  });
});

describe('eval --backend', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'oss-edge-select-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const CLI = join(import.meta.dir, '..', 'src', 'cli.ts');
  const g = golden('tiny-a');
  const evalArgs = (out: string, backend: string) => [CLI, 'eval', '--model', join(g.dir, 'model.gguf'), '--prompt', join(g.dir, 'prompt.json'), '--greedy', '2', '--out', out, '--backend', backend, '--threads', '1'];

  test('webgpu with no adapter (no Deno to ask): exit 1, a message naming the problem and the fix, no stack', () => {
    const r = spawnSync(process.execPath, evalArgs(join(tmp, 'webgpu'), 'webgpu'), { encoding: 'utf8', env: { ...process.env, OSS_EDGE_DENO: '/nonexistent/deno' } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--backend webgpu: no WebGPU adapter');
    expect(r.stderr).toContain('/nonexistent/deno');
    expect(r.stderr).not.toContain('    at ');
  });

  test('a bad --backend is a usage error', () => {
    const r = spawnSync(process.execPath, evalArgs(join(tmp, 'gpu'), 'gpu'), { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--backend must be auto, cpu, webgpu, got gpu');
  });

  test('auto on this machine: the CPU path unless a hardware adapter is present', () => {
    const s = webgpuStatus();
    const auto = spawnSync(process.execPath, evalArgs(join(tmp, 'auto'), 'auto'), { encoding: 'utf8' });
    const cpu = spawnSync(process.execPath, evalArgs(join(tmp, 'cpu'), 'cpu'), { encoding: 'utf8' });
    expect(auto.status).toBe(0);
    expect(cpu.status).toBe(0);
    const d = compareRows(f32file(join(tmp, 'auto', 'logits_prompt.f32')), f32file(join(tmp, 'cpu', 'logits_prompt.f32')), g.vocab).max;
    if (s.adapter && !isSoftware(s.adapter)) expect(d).toBeLessThanOrEqual(1e-3); // ran on the GPU
    else expect(d).toBe(0); //                                                      ran on the CPU path
  });
});
