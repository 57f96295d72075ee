// `bun src/cli.ts tokenize [--model PATH] [--specials]`: UTF-8 text on stdin → {"ids": [...]}.
// The text is taken byte for byte (a trailing newline is a token too). Special-token strings stay
// ordinary text unless --specials says the input is trusted harmony text (`<|start|>user…`).
// Also home of the small helpers the detokenize and render commands share.
import { loadCheckpoint } from '../model/checkpoint.ts';
import { encodeWithSpecials, o200kHarmony, tokenizerForCheckpoint, type Tokenizer } from '../tokenizer/index.ts';
import { UsageError } from './args.ts';
import { flagLines, HELP_LINE, parseFlags, type FlagDoc } from './help.ts';

export const MODEL_FLAG: FlagDoc = { flag: 'model', arg: 'PATH', help: "the tokenizer of this checkpoint (.gguf file or HF folder); default: o200k_harmony, gpt-oss's own" };

const TABLE: FlagDoc[] = [MODEL_FLAG, { flag: 'specials', help: 'read `<|…|>` strings in the text as special tokens (trusted harmony text)' }];
export const FLAGS = TABLE.map((f) => f.flag);
export const USAGE = `usage: bun src/cli.ts tokenize [flags] < text
UTF-8 text on stdin → {"ids": [...]} on stdout, byte for byte.
${flagLines([...TABLE, HELP_LINE])}`;

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString('utf8');
}

/** The built-in tokenizer, or the one of the checkpoint at `model`. */
export function cliTokenizer(model: string | undefined): Tokenizer {
  if (!model) return o200kHarmony();
  const ckpt = loadCheckpoint(model);
  try {
    return tokenizerForCheckpoint(ckpt);
  } finally {
    ckpt.close();
  }
}

/**
 * Runs a stdin command: its flags parsed against `table` (--help prints `usage`, exit 0; a bad flag
 * prints it with the problem, exit 2); a thrown error becomes one line on stderr and exit code 1.
 */
export async function guarded(name: string, argv: string[], table: readonly FlagDoc[], usage: string,
  body: (values: Record<string, string | boolean | undefined>) => Promise<void>): Promise<number> {
  let values;
  try {
    const p = parseFlags(argv, table);
    if (p.values.help) { console.log(usage); return 0; }
    if (p.positionals.length) throw new UsageError(`unexpected argument ${p.positionals[0]} (the input comes on stdin)`);
    values = p.values;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`${name}: ${e.message}\n${usage}`);
    return 2;
  }
  try {
    await body(values);
    return 0;
  } catch (e) {
    console.error(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

export async function run(argv: string[]): Promise<number> {
  return guarded('tokenize', argv, TABLE, USAGE, async (values) => {
    const tok = cliTokenizer(values.model as string | undefined);
    const text = await readStdin();
    const ids = values.specials ? encodeWithSpecials(tok, text) : tok.encode(text);
    process.stdout.write(`${JSON.stringify({ ids })}\n`);
  });
}
