// `bun src/cli.ts render [--model PATH]`: a chat request on stdin → {"ids": [...], "text": "..."},
// the harmony prompt ending in `<|start|>assistant` (spec §6). Input: OpenAI chat-completions fields
// (messages, tools, reasoning_effort, response_format) plus optional instructions, current_date
// (YYYY-MM-DD), knowledge_cutoff and builtin_tools (["browser", "python"]).
import { parseChatRequest, renderChat } from '../harmony/index.ts';
import { flagLines, HELP_LINE } from './help.ts';
import { cliTokenizer, guarded, MODEL_FLAG, readStdin } from './tokenize.ts';

interface RenderExtras {
  current_date?: string;
  knowledge_cutoff?: string;
  builtin_tools?: Array<'browser' | 'python'>;
}

const TABLE = [MODEL_FLAG];
export const FLAGS = TABLE.map((f) => f.flag);
export const USAGE = `usage: bun src/cli.ts render [flags] < request.json
A chat request on stdin (messages, tools, reasoning_effort, response_format, instructions,
current_date, knowledge_cutoff, builtin_tools) → {"ids": [...], "text": "..."}: the harmony prompt.
${flagLines([...TABLE, HELP_LINE])}`;

export async function run(argv: string[]): Promise<number> {
  return guarded('render', argv, TABLE, USAGE, async (values) => {
    const body = JSON.parse(await readStdin()) as RenderExtras;
    const req = parseChatRequest(body);
    const bad = (body.builtin_tools ?? []).filter((t) => t !== 'browser' && t !== 'python');
    if (bad.length) throw new Error(`builtin_tools: unknown tool ${JSON.stringify(bad[0])} (browser, python)`);
    const { ids, text } = renderChat(cliTokenizer(values.model as string | undefined), req, {
      currentDate: body.current_date,
      knowledgeCutoff: body.knowledge_cutoff,
      builtinTools: body.builtin_tools,
    });
    process.stdout.write(`${JSON.stringify({ ids, text })}\n`);
  });
}
