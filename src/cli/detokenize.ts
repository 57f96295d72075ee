// `bun src/cli.ts detokenize [--model PATH]`: {"ids": [...]} on stdin → the text on stdout, exactly
// (no newline added; special tokens appear as their literal `<|…|>` text).
import { flagLines, HELP_LINE } from './help.ts';
import { cliTokenizer, guarded, MODEL_FLAG, readStdin } from './tokenize.ts';

const TABLE = [MODEL_FLAG];
export const FLAGS = TABLE.map((f) => f.flag);
export const USAGE = `usage: bun src/cli.ts detokenize [flags] < ids.json
{"ids": [...]} on stdin → the text on stdout, exactly (special tokens as their <|…|> text).
${flagLines([...TABLE, HELP_LINE])}`;

export async function run(argv: string[]): Promise<number> {
  return guarded('detokenize', argv, TABLE, USAGE, async (values) => {
    const tok = cliTokenizer(values.model as string | undefined);
    const input = JSON.parse(await readStdin()) as { ids?: unknown };
    if (!Array.isArray(input?.ids) || input.ids.some((id) => typeof id !== 'number')) {
      throw new Error('expected {"ids": [number, …]} on stdin');
    }
    process.stdout.write(tok.decode(input.ids as number[]));
  });
}
