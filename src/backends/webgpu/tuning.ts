// Environment overrides of the WebGPU path's choices, for tests and benchmarks (both sides of the
// Bun → Deno pipe read them, so one variable reaches the child):
//   OSS_EDGE_WEBGPU_F16=0     ignore shader-f16 (the fast tier's K/V falls back to packed u32)
//   OSS_EDGE_WEBGPU_LANES=n   lanes per weight row in the matmul kernels (1, 2, 4, …, 64)
import process from 'node:process';
import type { Lanes } from './kernels.ts';

export interface Tuning { f16: boolean; lanes?: Lanes }

export function tuningFromEnv(env: Record<string, string | undefined> = process.env): Tuning {
  const lanes = env.OSS_EDGE_WEBGPU_LANES ? Number(env.OSS_EDGE_WEBGPU_LANES) : undefined;
  if (lanes !== undefined && !(Number.isInteger(lanes) && lanes >= 1 && lanes <= 64 && (lanes & (lanes - 1)) === 0)) {
    throw new Error(`OSS_EDGE_WEBGPU_LANES=${env.OSS_EDGE_WEBGPU_LANES}: a power of two from 1 to 64`);
  }
  return { f16: env.OSS_EDGE_WEBGPU_F16 !== '0', lanes: lanes as Lanes | undefined };
}
