// The built-in demo checkpoint: the one entry of synth/ that the serving path imports.
import type { Checkpoint } from '../model/types.ts';
import { synthCheckpoint } from './generator.ts';
import { configOfJson, presetConfigJson } from './presets.ts';

/**
 * The built-in demo model: the real gpt-oss vocabulary layout (201088 rows, harmony specials at
 * 199998…, eos 200002), so the built-in o200k_harmony tokenizer applies, on a toy body (preset
 * `demo`: H 64, 2 layers sliding/full, 4 heads of 64 / 1 KV, 4 experts top-2; 52 MB of weights,
 * generated in ~0.2 s). Random weights: it runs end to end, and what it says is noise.
 */
export function demoCheckpoint(): Checkpoint {
  return synthCheckpoint(configOfJson(presetConfigJson('demo'), 'demo preset'), {
    seed: 0,
    path: 'demo',
    metadata: { 'general.name': 'oss-edge demo (random weights)' },
  });
}
