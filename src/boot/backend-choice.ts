// Which backend runs the model: `--backend cpu | webgpu | auto`.
//   auto    WebGPU on a hardware adapter, else the CPU path (a software adapter such as lavapipe
//           is slower than the wasm kernels, feasibility §6c: it is used only when asked for)
//   webgpu  the runtime's adapter, software or not; none → a clear error
//   cpu     no probing at all
// Runtimes with navigator.gpu (Deno) use it in-process; Bun has none and reaches the GPU through a
// Deno child process behind the same Backend interface (backends/remote/).
import type { AdapterInfo, BackendFactory, Probe } from '../backends/backend.ts';
import { createCpuBackend } from '../backends/cpu/cpu-backend.ts';
import type { BackendChoice } from '../backends/options.ts';
import { isSoftware } from '../backends/webgpu/device.ts';

export { isSoftware };
export type { BackendChoice, Probe };

export interface Choice {
  kind: 'cpu' | 'webgpu';
  adapter: AdapterInfo | null;
  /** One line for logs: why this backend. */
  reason: string;
}

export class NoAdapterError extends Error {
  constructor(why: string) {
    super(`--backend webgpu: no WebGPU adapter (${why}). On Linux without a GPU, \`apt-get install mesa-vulkan-drivers\` provides a software one (lavapipe); or use --backend cpu`);
    this.name = 'NoAdapterError';
  }
}

/**
 * The decision alone, from the adapters a probe found (best first) and, when there are none, why.
 * Pure, so it is tested with fake adapter lists.
 */
export function chooseBackend(choice: BackendChoice, adapters: readonly AdapterInfo[], why = 'none found'): Choice {
  if (choice === 'cpu') return { kind: 'cpu', adapter: null, reason: 'asked for (--backend cpu)' };
  const hw = adapters.find((a) => !isSoftware(a)) ?? null;
  if (choice === 'webgpu') {
    const a = hw ?? adapters[0];
    if (!a) throw new NoAdapterError(why);
    return { kind: 'webgpu', adapter: a, reason: `asked for (--backend webgpu): ${a.description || 'unnamed adapter'}${hw ? '' : ' (software)'}` };
  }
  if (choice !== 'auto') throw new Error(`unknown backend "${choice}" (auto, cpu or webgpu)`);
  if (hw) return { kind: 'webgpu', adapter: hw, reason: `auto: GPU adapter ${hw.description || hw.vendor || 'unnamed'}` };
  const sw = adapters[0];
  return { kind: 'cpu', adapter: null, reason: sw ? `auto: only a software adapter (${sw.description}); --backend webgpu uses it` : `auto: no GPU adapter (${why})` };
}

export interface ResolvedBackend extends Choice {
  /** The factory Engine.load takes. */
  create: BackendFactory;
  /** Frees what probing kept (a device, a child process) if create() was never called. */
  dispose(): void;
}

/** Probes (unless `cpu`), decides, and returns a factory for Engine.load. */
export async function resolveBackend(choice: BackendChoice, o: { probe?: () => Promise<Probe> } = {}): Promise<ResolvedBackend> {
  if (choice === 'cpu') {
    return { ...chooseBackend('cpu', []), create: createCpuBackend, dispose() {} };
  }
  const probe = await (o.probe ?? probeRuntime)();
  let c: Choice;
  try {
    c = chooseBackend(choice, probe.adapters, probe.why);
  } catch (e) {
    probe.dispose();
    throw e;
  }
  if (c.kind === 'cpu') {
    probe.dispose();
    return { ...c, create: createCpuBackend, dispose() {} };
  }
  const create = await probe.open(probe.adapters.indexOf(c.adapter!));
  return { ...c, create, dispose: () => probe.dispose() };
}

/** In-process WebGPU when the runtime has navigator.gpu, else the Deno child. */
async function probeRuntime(): Promise<Probe> {
  const { gpuApi } = await import('../backends/webgpu/device.ts');
  if (gpuApi()) return (await import('../backends/webgpu/local.ts')).probeLocal();
  return (await import('../backends/remote/remote-backend.ts')).probeRemote();
}
