// The writers stream synthetic tensors by rows: writing a file several times the size of its
// largest tensor grows the process by a bounded amount (a few 16 MiB pieces), not by that tensor.
import { afterAll, expect, test } from 'bun:test';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { writeGguf } from '../src/synth/gguf-write.ts';
import { writeHf } from '../src/synth/safetensors-write.ts';
import { synthCheckpoint } from '../src/synth/generator.ts';
import { configOfJson, presetConfigJson } from '../src/synth/presets.ts';
import { tempDir } from './helpers/model-files.ts';

const tmp = tempDir('synth-mem');
afterAll(() => tmp.cleanup());

// Real widths, one layer, vocab 32768: embed and unembed are 189 MB each, the file ~480 MB.
const ckpt = synthCheckpoint(configOfJson(presetConfigJson('small', { num_hidden_layers: 1, vocab_size: 32768, eos_token_id: 32756, pad_token_id: 32753 })), { seed: 2 });
const largest = Math.max(...[...ckpt.tensors.values()].map((r) => r.byteSize));
const BOUND = 100e6; // pieces: 16 MiB source + 2 × 16 MiB output + staging, with GC slack

/** Peak RSS growth while `write(progress)` runs, sampled at every progress report. */
function rssGrowth(write: (progress: () => void) => void): number {
  Bun.gc(true);
  const base = process.memoryUsage().rss;
  let peak = base;
  write(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  });
  return peak - base;
}

test('GGUF writer: RSS growth stays far below the largest tensor and the file', () => {
  const p = join(tmp.dir, 'm.gguf');
  const growth = rssGrowth((progress) => writeGguf(p, ckpt, { dense: 'bf16', progress }));
  const size = statSync(p).size;
  expect(largest).toBeGreaterThan(180e6);
  expect(size).toBeGreaterThan(450e6);
  expect(growth).toBeLessThan(BOUND);
}, 60_000);

test('HF writer: RSS growth stays far below the largest tensor and the file', () => {
  const d = join(tmp.dir, 'hf');
  const growth = rssGrowth((progress) => writeHf(d, ckpt, { progress }));
  expect(statSync(join(d, 'model.safetensors')).size).toBeGreaterThan(450e6);
  expect(growth).toBeLessThan(BOUND);
}, 60_000);
