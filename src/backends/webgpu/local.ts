// WebGPU in this process (Deno, or any runtime with navigator.gpu): the probe behind
// src/boot/backend-choice.ts. The device is opened on the first create() and shared by every
// backend made from this probe; the last release() destroys it.
import type { BackendFactory, Probe } from '../backend.ts';
import type { EngineOptions } from '../options.ts';
import { createWebGpuBackend } from './webgpu-backend.ts';
import { describeAdapter, openDevice, requestAdapter } from './device.ts';
import { tuningFromEnv } from './tuning.ts';

export async function probeLocal(): Promise<Probe> {
  const adapter = await requestAdapter();
  if (!adapter) return { adapters: [], why: 'navigator.gpu.requestAdapter() returned null', open: () => Promise.reject(new Error('no adapter')), dispose() {} };
  const info = describeAdapter(adapter);
  return {
    adapters: [info], why: '',
    async open(): Promise<BackendFactory> {
      const t = tuningFromEnv();
      const { device, features } = await openDevice(adapter, { f16: t.f16 });
      let users = 0;
      return (opts: EngineOptions) => {
        users++;
        return createWebGpuBackend({ ...opts, device, features, adapter: info, lanes: t.lanes, repack: t.repack, stagingBytes: t.stagingBytes, prefetch: t.prefetch, onRelease: () => { if (--users === 0) device.destroy(); } });
      };
    },
    dispose() {},
  };
}
