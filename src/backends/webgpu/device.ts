// Adapter discovery and device creation in a runtime that has `navigator.gpu` (Deno, browsers).
// Bun has none: it reaches the GPU through a Deno child process (../remote/).
import { tmpdir } from 'node:os';
import process from 'node:process';
import type { AdapterInfo } from '../backend.ts';

export type { AdapterInfo };

/** navigator.gpu when this runtime has WebGPU, else null. */
export function gpuApi(): GPU | null {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  return nav?.gpu ?? null;
}

// Mesa's Vulkan WSI (Mesa 22.3, Debian 12) prints "XDG_RUNTIME_DIR is invalid or not set" on
// stderr at exit when the variable is unset, although compute needs no display: give it a
// directory before the first adapter request.
function quietMesa(): void {
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = tmpdir();
}

// Software renderers, also when they do not set isFallbackAdapter.
const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|\bwarp\b|microsoft basic render/i;

export function isSoftware(a: Pick<AdapterInfo, 'description' | 'isFallbackAdapter'>): boolean {
  return a.isFallbackAdapter || SOFTWARE.test(a.description);
}

export function describeAdapter(a: GPUAdapter): AdapterInfo {
  const info = (a as GPUAdapter & { info?: GPUAdapterInfo & { isFallbackAdapter?: boolean } }).info;
  const description = info?.description || info?.device || '';
  const fallback = Boolean(info?.isFallbackAdapter ?? (a as { isFallbackAdapter?: boolean }).isFallbackAdapter);
  return {
    description, vendor: info?.vendor ?? '', architecture: info?.architecture ?? '', isFallbackAdapter: fallback,
    features: [...a.features].map(String).sort(),
    maxStorageBufferBindingSize: a.limits.maxStorageBufferBindingSize, maxBufferSize: a.limits.maxBufferSize,
  };
}

/** The runtime's preferred adapter (a hardware one when there is any), or null. */
export async function requestAdapter(): Promise<GPUAdapter | null> {
  const gpu = gpuApi();
  if (!gpu) return null;
  quietMesa();
  return (await gpu.requestAdapter({ powerPreference: 'high-performance' })) ?? null;
}

export interface DeviceFeatures {
  /** Use shader-f16 where the adapter has it (the f16 K/V cache of the fast tier). */
  f16: boolean;
  /** timestamp-query, for the kernel profiler (bench only). */
  timestamps?: boolean;
}

/**
 * A device with the adapter's largest buffer limits (weights are split under them) and
 * shader-f16 when offered and wanted. Subgroups are not requested: no kernel uses them yet.
 */
export async function openDevice(a: GPUAdapter, want: Partial<DeviceFeatures> = {}): Promise<{ device: GPUDevice; features: DeviceFeatures }> {
  const f16 = (want.f16 ?? true) && a.features.has('shader-f16');
  const timestamps = Boolean(want.timestamps) && a.features.has('timestamp-query');
  const L = a.limits;
  const device = await a.requestDevice({
    label: 'oss-edge',
    requiredFeatures: [...(f16 ? ['shader-f16' as const] : []), ...(timestamps ? ['timestamp-query' as const] : [])],
    requiredLimits: {
      maxStorageBufferBindingSize: L.maxStorageBufferBindingSize,
      maxBufferSize: L.maxBufferSize,
      maxStorageBuffersPerShaderStage: Math.min(L.maxStorageBuffersPerShaderStage, 8),
      maxComputeWorkgroupStorageSize: L.maxComputeWorkgroupStorageSize,
    },
  });
  return { device, features: { f16, timestamps } };
}
