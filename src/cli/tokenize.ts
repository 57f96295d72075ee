// `bun src/cli.ts tokenize [--model PATH] [--specials]`: UTF-8 text on stdin → {"ids": [...]}.
// The text is taken byte for byte (a trailing newline is a token too). Special-token strings stay
// ordinary text unless --specials says the input is trusted harmony text (`<|start|>user…`).
// Also home of the small helpers the detokenize and render commands share.
import { parseArgs } from 'node:util';
import { loadCheckpoint } from '../model/checkpoint.ts';
import { encodeWithSpecials, o200kHarmony, tokenizerForCheckpoint, type Tokenizer } from '../tokenizer/index.ts';

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

/** Runs a command body; a thrown error becomes one line on stderr and exit code 1. */
export async function guarded(name: string, body: () => Promise<void>): Promise<number> {
  try {
    await body();
    return 0;
  } catch (e) {
    console.error(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { model: { type: 'string' }, specials: { type: 'boolean' } } });
  return guarded('tokenize', async () => {
    const tok = cliTokenizer(values.model);
    const text = await readStdin();
    const ids = values.specials ? encodeWithSpecials(tok, text) : tok.encode(text);
    process.stdout.write(`${JSON.stringify({ ids })}\n`);
  });
}
