// WebGPU in this process (Deno, or any runtime with navigator.gpu): the probe behind
// select.ts's resolveBackend. The device is opened on the first create() and shared by every
// backend made from this probe; the last release() destroys it.
import type { Backend, BackendOptions } from '../../engine/backend.ts';
import type { Probe } from '../select.ts';
import { createWebGpuBackend, type WebGpuOptions } from './backend.ts';
import { describeAdapter, openDevice, requestAdapter } from './device.ts';
import { tuningFromEnv } from './tuning.ts';

export async function probeLocal(): Promise<Probe> {
  const adapter = await requestAdapter();
  if (!adapter) return { adapters: [], why: 'navigator.gpu.requestAdapter() returned null', open: () => Promise.reject(new Error('no adapter')), dispose() {} };
  const info = describeAdapter(adapter);
  return {
    adapters: [info], why: '',
    async open(): Promise<(opts: BackendOptions) => Backend> {
      const t = tuningFromEnv();
      const { device, features } = await openDevice(adapter, { f16: t.f16 });
      let users = 0;
      return (opts: BackendOptions) => {
        users++;
        const o: WebGpuOptions = { ...opts, device, features, adapter: info, lanes: t.lanes, onRelease: () => { if (--users === 0) device.destroy(); } };
        return createWebGpuBackend(o);
      };
    },
    dispose() {},
  };
}
