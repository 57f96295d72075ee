// `bun src/cli.ts render [--model PATH]`: a chat request on stdin → {"ids": [...], "text": "..."},
// the harmony prompt ending in `<|start|>assistant` (spec §6). Input: OpenAI chat-completions fields
// (messages, tools, reasoning_effort, response_format) plus optional instructions, current_date
// (YYYY-MM-DD), knowledge_cutoff and builtin_tools (["browser", "python"]).
import { parseArgs } from 'node:util';
import { parseChatRequest, renderChat } from '../harmony/index.ts';
import { cliTokenizer, guarded, readStdin } from './tokenize.ts';

interface RenderExtras {
  current_date?: string;
  knowledge_cutoff?: string;
  builtin_tools?: Array<'browser' | 'python'>;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { model: { type: 'string' } } });
  return guarded('render', async () => {
    const body = JSON.parse(await readStdin()) as RenderExtras;
    const req = parseChatRequest(body);
    const bad = (body.builtin_tools ?? []).filter((t) => t !== 'browser' && t !== 'python');
    if (bad.length) throw new Error(`builtin_tools: unknown tool ${JSON.stringify(bad[0])} (browser, python)`);
    const { ids, text } = renderChat(cliTokenizer(values.model), req, {
      currentDate: body.current_date,
      knowledgeCutoff: body.knowledge_cutoff,
      builtinTools: body.builtin_tools,
    });
    process.stdout.write(`${JSON.stringify({ ids, text })}\n`);
  });
}
