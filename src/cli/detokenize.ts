// `bun src/cli.ts detokenize [--model PATH]`: {"ids": [...]} on stdin → the text on stdout, exactly
// (no newline added; special tokens appear as their literal `<|…|>` text).
import { parseArgs } from 'node:util';
import { cliTokenizer, guarded, readStdin } from './tokenize.ts';

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { model: { type: 'string' } } });
  return guarded('detokenize', async () => {
    const tok = cliTokenizer(values.model);
    const input = JSON.parse(await readStdin()) as { ids?: unknown };
    if (!Array.isArray(input?.ids) || input.ids.some((id) => typeof id !== 'number')) {
      throw new Error('expected {"ids": [number, …]} on stdin');
    }
    process.stdout.write(tok.decode(input.ids as number[]));
  });
}
