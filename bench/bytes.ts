// Weight bytes one decoded token reads (spec §8.2): every dense matrix and vector once, k of E
// experts per layer, the unembedding, one embedding row.
import type { Checkpoint } from '../src/model/types.ts';

export function decodeBytesPerToken(ck: Pick<Checkpoint, 'config' | 'tensors'>): number {
  const { numExperts: E, expertsPerToken: k, vocabSize: V } = ck.config;
  let bytes = 0;
  for (const t of ck.tensors.values()) {
    if (t.name === 'embed') bytes += t.byteSize / V;
    else if (t.name.includes('.experts_')) bytes += (t.byteSize / E) * k;
    else bytes += t.byteSize;
  }
  return bytes;
}
