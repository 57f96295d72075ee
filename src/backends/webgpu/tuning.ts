// Environment overrides of the WebGPU path's choices, for tests and benchmarks (both sides of the
// Bun → Deno pipe read them, so one variable reaches the child):
//   OSS_EDGE_WEBGPU_F16=0         ignore shader-f16 (the fast tier's K/V falls back to packed u32)
//   OSS_EDGE_WEBGPU_LANES=n       lanes per weight row in the matmul kernels (1, 2, 4, …, 64)
//   OSS_EDGE_WEBGPU_REPACK=host   repack weights on the CPU (layout.ts packPart, the GPU
//                                 repack's reference) instead of on the GPU (the default, gpu)
//   OSS_EDGE_WEBGPU_STAGING_MB=n  bytes per staging copy of the weight upload (default 8 MiB)
//   OSS_EDGE_WEBGPU_PREFETCH=0|1  read weights ahead on reader threads (default: with ≥ 4 cores)
import process from 'node:process';
import type { Lanes } from './kernels.ts';

export type RepackOn = 'gpu' | 'host';
export interface Tuning { f16: boolean; lanes?: Lanes; repack?: RepackOn; stagingBytes?: number; prefetch?: boolean }

export function tuningFromEnv(env: Record<string, string | undefined> = process.env): Tuning {
  const lanes = env.OSS_EDGE_WEBGPU_LANES ? Number(env.OSS_EDGE_WEBGPU_LANES) : undefined;
  if (lanes !== undefined && !(Number.isInteger(lanes) && lanes >= 1 && lanes <= 64 && (lanes & (lanes - 1)) === 0)) {
    throw new Error(`OSS_EDGE_WEBGPU_LANES=${env.OSS_EDGE_WEBGPU_LANES}: a power of two from 1 to 64`);
  }
  const repack = env.OSS_EDGE_WEBGPU_REPACK;
  if (repack !== undefined && repack !== 'gpu' && repack !== 'host') throw new Error(`OSS_EDGE_WEBGPU_REPACK=${repack}: gpu or host`);
  const mb = env.OSS_EDGE_WEBGPU_STAGING_MB ? Number(env.OSS_EDGE_WEBGPU_STAGING_MB) : undefined;
  if (mb !== undefined && !(mb > 0 && mb <= 1024)) throw new Error(`OSS_EDGE_WEBGPU_STAGING_MB=${env.OSS_EDGE_WEBGPU_STAGING_MB}: a size in MiB, at most 1024`);
  return {
    f16: env.OSS_EDGE_WEBGPU_F16 !== '0', lanes: lanes as Lanes | undefined, repack, stagingBytes: mb === undefined ? undefined : Math.round(mb * 2 ** 20),
    prefetch: env.OSS_EDGE_WEBGPU_PREFETCH === undefined ? undefined : env.OSS_EDGE_WEBGPU_PREFETCH !== '0',
  };
}
