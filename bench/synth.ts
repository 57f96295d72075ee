// Figures the tests used to assert against the clock or the collector, now measured here and
// reported, never asserted: the demo checkpoint's load time (test/synth.test.ts asserted < 5 s)
// and the writers' peak resident-memory growth while streaming a ~480 MB file (test/synth-memory
// asserted < 100 MB of RSS; it now counts the writer's buffers instead, deterministically).
// Usage: bun bench/synth.ts   → one JSON object on stdout, with the CPU model.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCpuBackend } from '../src/backends/cpu/cpu-backend.ts';
import { Engine } from '../src/engine/engine.ts';
import { demoCheckpoint } from '../src/synth/demo.ts';
import { synthCheckpoint } from '../src/synth/generator.ts';
import { writeGguf } from '../src/synth/gguf-write.ts';
import { configOfJson, presetConfigJson } from '../src/synth/presets.ts';
import { writeHf } from '../src/synth/safetensors-write.ts';

const t0 = performance.now();
const demo = await Engine.fromCheckpoint(demoCheckpoint(), { precision: 'exact', threads: 1, context: 64 }, createCpuBackend);
const demoLoadMs = performance.now() - t0;
demo.release();

// Real widths, one layer, vocab 32768: embed and unembed are 189 MB each, the file ~480 MB.
const ckpt = synthCheckpoint(configOfJson(presetConfigJson('small', { num_hidden_layers: 1, vocab_size: 32768, eos_token_id: 32756, pad_token_id: 32753 })), { seed: 2 });
const largest = Math.max(...[...ckpt.tensors.values()].map((r) => r.byteSize));

/** Peak RSS growth while `write(progress)` runs, sampled at every progress report. */
function rssGrowth(write: (progress: () => void) => void): number {
  Bun.gc(true);
  const base = process.memoryUsage().rss;
  let peak = base;
  write(() => { peak = Math.max(peak, process.memoryUsage().rss); });
  return peak - base;
}

const dir = mkdtempSync(join(tmpdir(), 'oss-edge-bench-synth-'));
try {
  const gguf = rssGrowth((progress) => writeGguf(join(dir, 'm.gguf'), ckpt, { dense: 'bf16', progress }));
  const hf = rssGrowth((progress) => writeHf(join(dir, 'hf'), ckpt, { progress }));
  console.log(JSON.stringify({
    date: new Date().toISOString(), machine: `${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}`,
    demo_load_ms: Math.round(demoLoadMs), largest_tensor_bytes: largest,
    writer_rss_growth_bytes: { gguf, hf },
  }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
