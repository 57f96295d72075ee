// The golden-folder computation (../shared/golden/README.md): logits after every prompt position,
// then N greedy steps, each fed back one token at a time.
import { argmax } from '../backends/argmax.ts';
import type { Engine } from './engine.ts';

export interface Evaluation {
  promptLogits: Float32Array; //  [n_prompt, V]
  greedyIds: number[]; //         N ids, first = argmax of the last prompt row
  greedyLogits: Float32Array; //  [N, V], row i = logits after feeding greedyIds[i]
  nextAfterLast: number;
}

export async function evaluatePrompt(model: Engine, ids: number[], N: number, tokenByToken = false): Promise<Evaluation> {
  const s = model.newSession(ids.length + N + 1);
  const V = model.config.vocabSize;
  let promptLogits: Float32Array;
  if (tokenByToken) {
    promptLogits = new Float32Array(ids.length * V);
    for (let i = 0; i < ids.length; i++) promptLogits.set(await s.eval([ids[i]], 'last'), i * V);
  } else {
    promptLogits = await s.eval(ids, 'all');
  }
  const greedyIds: number[] = [];
  const greedyLogits = new Float32Array(N * V);
  let next = argmax(promptLogits.subarray((ids.length - 1) * V));
  for (let i = 0; i < N; i++) {
    greedyIds.push(next);
    const row = await s.eval([next], 'last');
    greedyLogits.set(row, i * V);
    next = argmax(row);
  }
  return { promptLogits, greedyIds, greedyLogits, nextAfterLast: next };
}
