// The load-time checks both readers share: every tensor the config needs is present, has the
// logical shape the config implies, and is stored in a format the forward pass accepts for it.
import { tensorBytes } from './formats.ts';
import { assert } from './io.ts';
import { sourceOf } from './records.ts';
import { ModelLoadError, expectedTensors, type ModelConfig, type WeightRecord } from './types.ts';

// Norms, biases and sinks are added or multiplied element-wise, never matmul'd: plain floats only.
const VECTOR_LIKE = /(^final_norm|_norm|_bias|_sinks)$/;
const FLOATS = new Set(['f32', 'f16', 'bf16']);

/**
 * Returns the canonical set (extra tensors dropped). `file` is the checkpoint path; `sourceName`
 * maps a canonical name to the name the file would use, for the "missing" message.
 */
export function validateTensors(
  file: string, config: ModelConfig, found: Map<string, WeightRecord>, sourceName: (canonical: string) => string,
): Map<string, WeightRecord> {
  const out = new Map<string, WeightRecord>();
  for (const [name, shape] of expectedTensors(config)) {
    const r = found.get(name);
    if (!r) throw new ModelLoadError(file, sourceName(name), `missing (canonical ${name})`);
    const src = sourceOf(r);
    const bad = (problem: string): never => {
      throw new ModelLoadError(src?.file ?? file, src?.tensor ?? r.origin, problem);
    };
    if (r.shape.length !== shape.length || r.shape.some((d, i) => d !== shape[i])) {
      bad(`shape [${r.shape}] but the config needs [${shape}] (canonical ${name})`);
    }
    if (VECTOR_LIKE.test(name) && !FLOATS.has(r.format)) bad(`format ${r.format} not allowed here (norms, biases and sinks must be f32, f16 or bf16)`);
    assert(r.byteSize === tensorBytes(r.format, r.shape), `${name}: byteSize`);
    out.set(name, r);
  }
  return out;
}
