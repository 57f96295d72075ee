// What this runtime's WebGPU finds: the adapter the backend would use (description, features,
// limits) as one JSON line, or why there is none (exit 1). For bench/gpu-device.sh's report.
// Usage: deno run -A bench/gpu-probe.ts
import process from 'node:process';
import { probeLocal } from '../src/backends/webgpu/local.ts';
import { isSoftware } from '../src/backends/webgpu/device.ts';

const p = await probeLocal();
const adapter = p.adapters[0] ?? null;
console.log(JSON.stringify({ adapter, software: adapter ? isSoftware(adapter) : null, why: p.why || null }));
p.dispose();
process.exit(adapter ? 0 : 1);
