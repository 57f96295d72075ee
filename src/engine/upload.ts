// Weights from a checkpoint into a backend, once, the same way for every backend: matrices go in
// their stored format (each backend lays them out its own way), vectors (norms, biases, sinks) are
// decoded to f32 here. Progress is reported per chunk read, and the event loop gets a turn every
// YIELD_BYTES so a server answers /health (503 + progress) while it loads.
import type { Backend, LoadProgress, Tensor } from '../backends/backend.ts';
import { FORMATS } from '../model/formats.ts';
import { isVector, type Checkpoint } from '../model/types.ts';

const YIELD_BYTES = 64 << 20;

export async function uploadWeights(be: Backend, ckpt: Checkpoint, progress?: (p: LoadProgress) => void): Promise<Map<string, Tensor>> {
  await be.prepare(ckpt);
  const records = [...ckpt.tensors.values()];
  const out = new Map<string, Tensor>();
  let done = 0, count = 0, sinceYield = 0;
  for (const rec of records) {
    if (sinceYield > YIELD_BYTES) { sinceYield = 0; await new Promise((r) => setTimeout(r, 0)); }
    const report = (n: number) => {
      done += n; sinceYield += n;
      progress?.({ bytes: done, totalBytes: ckpt.totalBytes, tensors: count, totalTensors: records.length, name: rec.name });
    };
    if (isVector(rec)) {
      const raw = new Uint8Array(rec.byteSize);
      rec.fill(raw, report);
      const n = rec.shape.reduce((a, b) => a * b, 1), data = new Float32Array(n);
      FORMATS[rec.format].dequant(raw, data, n); // exact for every format
      out.set(rec.name, be.vector(rec.name, rec.shape, data));
    } else {
      out.set(rec.name, await be.matrix(rec, report));
    }
    count++;
  }
  await be.finish();
  return out;
}
