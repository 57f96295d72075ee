// The service assembled: the HTTP server (runtime-free, engine-free) given the function that opens
// the model on the chosen backend. cli/serve.ts parses flags into ServiceOptions; tests call this.
import type { EngineOptions } from '../backends/options.ts';
import type { Runtime } from '../server/runtime.ts';
import { startServer, type RunningServer, type ServerIo, type ServerOptions } from '../server/start.ts';
import { openServedModel } from './open-model.ts';

export interface ServiceOptions extends ServerOptions {
  /** A .gguf file or an HF folder; null serves the demo checkpoint. */
  model: string | null;
  /** The id clients send as `model` (default: from the file name). */
  modelId?: string;
  engine: Partial<EngineOptions>;
}

export function startService(o: ServiceOptions, rt: Runtime, io: Omit<ServerIo, 'open'> = {}): Promise<RunningServer> {
  return startServer(o, rt, { ...io, open: (progress) => openServedModel(o.model, o.engine, progress, { id: o.modelId }) });
}
