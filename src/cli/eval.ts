// `eval --model PATH --prompt PROMPT.json --greedy N --out DIR [--precision exact|fast] [--threads T]
//       [--backend cpu|webgpu|auto]` (default cpu; src/backends/select.ts says what auto picks)
// Writes the golden-folder layout (../shared/golden/README.md): logits_prompt.f32 [n_prompt, V],
// greedy.json {"greedy_ids": [...]}, logits_greedy.f32 [N, V] (row i = logits after greedy_ids[i]).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Model } from '../engine/model.ts';
import { evaluatePrompt } from '../engine/evaluate.ts';
import { int, parseArgs, str, UsageError } from './args.ts';
import { BACKEND_CHOICES, resolveBackend, type BackendChoice } from '../backends/select.ts';

export async function run(argv: string[]): Promise<number> {
  try {
    const a = parseArgs(argv);
    const precision = str(a, 'precision', 'exact');
    if (precision !== 'exact' && precision !== 'fast') throw new UsageError(`--precision must be exact or fast`);
    const prompt = JSON.parse(readFileSync(str(a, 'prompt'), 'utf8'));
    const ids: number[] = prompt.ids;
    if (!Array.isArray(ids) || !ids.length || !ids.every(Number.isInteger)) throw new UsageError('prompt JSON needs {"ids": [int, ...]}');
    const N = int(a, 'greedy', 0), out = str(a, 'out');
    const choice = str(a, 'backend', 'cpu') as BackendChoice;
    if (!BACKEND_CHOICES.includes(choice)) throw new UsageError('--backend must be cpu, webgpu or auto');
    const backend = await resolveBackend(choice);
    let model: Model;
    try {
      model = await Model.load(str(a, 'model'), {
        backend: backend.create,
        precision, threads: a.flags.has('threads') ? int(a, 'threads', 1) : undefined, maxBatch: int(a, 'batch', 64), context: ids.length + N + 1,
        arenaBytes: a.flags.has('arena-bytes') ? int(a, 'arena-bytes', 0) : undefined,
        denseQ8: a.flags.get('dense-q8') === true,
      });
    } catch (e) {
      backend.dispose(); // nothing may keep the process alive after a load error (a GPU child)
      throw e;
    }
    try {
      const { promptLogits, greedyIds, greedyLogits, nextAfterLast } = await evaluatePrompt(model, ids, N);
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, 'logits_prompt.f32'), new Uint8Array(promptLogits.buffer));
      writeFileSync(join(out, 'logits_greedy.f32'), new Uint8Array(greedyLogits.buffer));
      writeFileSync(join(out, 'greedy.json'), JSON.stringify({ greedy_ids: greedyIds, next_after_last: nextAfterLast }) + '\n');
    } finally {
      model.release();
      backend.dispose();
    }
    return 0;
  } catch (e) {
    console.error(`eval: ${(e as Error).message}`);
    return e instanceof UsageError ? 2 : 1;
  }
}
