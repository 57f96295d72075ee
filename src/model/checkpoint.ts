// Entry point: a path → the canonical weight set, whichever format it is in.
import { statSync } from 'node:fs';
import { loadGguf } from './gguf-load.ts';
import { loadHf } from './hf.ts';
import { errorText } from './io.ts';
import { ModelLoadError, type Checkpoint } from './types.ts';

/**
 * `path` is a `.gguf` file (llama.cpp gpt-oss layout), an HF folder (config.json + model.safetensors
 * or shards with model.safetensors.index.json), or one `.safetensors` file with config.json beside
 * it. Reads headers only; tensor bytes are read by each record's fill(). Throws ModelLoadError.
 */
export function loadCheckpoint(path: string): Checkpoint {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    throw new ModelLoadError(path, null, `cannot open: ${errorText(e)}`);
  }
  if (isDir || path.endsWith('.safetensors')) return loadHf(path);
  return loadGguf(path); // anything else must prove itself by the GGUF magic
}
