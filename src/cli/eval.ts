// `eval --model PATH --prompt PROMPT.json --greedy N --out DIR [engine flags]` (backend default cpu;
// src/boot/backend-choice.ts says what auto picks).
// Writes the golden-folder layout (../shared/golden/README.md): logits_prompt.f32 [n_prompt, V],
// greedy.json {"greedy_ids": [...]}, logits_greedy.f32 [N, V] (row i = logits after greedy_ids[i]).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openEngine } from '../boot/open-model.ts';
import { evaluatePrompt } from '../engine/evaluate.ts';
import { int, parseArgs, str, UsageError } from './args.ts';
import { ENGINE_FLAGS, engineFlags, engineHelp } from './engine-flags.ts';

export const USAGE = `usage: bun src/cli.ts eval --model PATH --prompt PROMPT.json --out DIR [flags]
  --model PATH        a .gguf file or an HF folder
  --prompt FILE       {"ids": [int, …]}
  --greedy N          greedy steps after the prompt (default 0)
  --out DIR           where logits_prompt.f32, greedy.json and logits_greedy.f32 go
${engineHelp({ backend: 'cpu', precision: 'exact, the golden references\' arithmetic', ctx: 'the prompt + greedy steps' })}`;

export const FLAGS = ['model', 'prompt', 'greedy', 'out', ...ENGINE_FLAGS];

export async function run(argv: string[]): Promise<number> {
  try {
    const a = parseArgs(argv);
    if (a.flags.has('help')) { console.log(USAGE); return 0; }
    for (const f of a.flags.keys()) if (f !== 'help' && !FLAGS.includes(f)) throw new UsageError(`unknown flag --${f}`);
    const prompt = JSON.parse(readFileSync(str(a, 'prompt'), 'utf8'));
    const ids: number[] = prompt.ids;
    if (!Array.isArray(ids) || !ids.length || !ids.every(Number.isInteger)) throw new UsageError('prompt JSON needs {"ids": [int, ...]}');
    const N = int(a, 'greedy', 0), out = str(a, 'out');
    const { engine } = await openEngine(str(a, 'model'), { backend: 'cpu', precision: 'exact', context: ids.length + N + 1, ...engineFlags(a) });
    try {
      const { promptLogits, greedyIds, greedyLogits, nextAfterLast } = await evaluatePrompt(engine, ids, N);
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, 'logits_prompt.f32'), new Uint8Array(promptLogits.buffer));
      writeFileSync(join(out, 'logits_greedy.f32'), new Uint8Array(greedyLogits.buffer));
      writeFileSync(join(out, 'greedy.json'), JSON.stringify({ greedy_ids: greedyIds, next_after_last: nextAfterLast }) + '\n');
    } finally {
      engine.release();
    }
    return 0;
  } catch (e) {
    console.error(`eval: ${(e as Error).message}`);
    if (e instanceof UsageError) console.error(USAGE);
    return e instanceof UsageError ? 2 : 1;
  }
}
