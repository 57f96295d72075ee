// Opening a model the way the server and tools need it: a checkpoint path or the built-in demo,
// on the backend asked for (`auto` | `cpu` | `webgpu`, src/backends/select.ts). The one place above
// the backends that picks one, so generate/ and server/ only ever see a Model.
import { resolveBackend, type BackendChoice } from '../backends/select.ts';
import { demoCheckpoint } from '../model/synth.ts';
import { Model, type ModelOptions } from './model.ts';

export type { BackendChoice };

export interface OpenOptions extends Omit<ModelOptions, 'backend'> {
  backend?: BackendChoice;
}

export interface Opened {
  model: Model;
  /** One line for logs: why this backend runs. */
  reason: string;
}

/** Opens `path` (a .gguf file or an HF folder), or the built-in demo checkpoint when `path` is null. */
export async function openModel(path: string | null, o: OpenOptions = {}): Promise<Opened> {
  // The demo's toy weights need no GPU, and the WebGPU child a Bun process drives opens checkpoints
  // from files, which the in-memory demo is not: `auto` keeps it on the CPU (no probing either).
  const choice = o.backend ?? 'auto';
  const be = await resolveBackend(path === null && choice === 'auto' ? 'cpu' : choice);
  const opts: ModelOptions = { ...o, backend: be.create };
  try {
    // The demo: gpt-oss's real vocabulary layout (so o200k_harmony and harmony apply) on a toy
    // body with random weights, generated in memory.
    const model = path === null ? await Model.fromCheckpoint(demoCheckpoint(), opts) : await Model.load(path, opts);
    return { model, reason: be.reason };
  } catch (e) {
    be.dispose();
    throw e;
  }
}
