// OpenAI chat-completions → a harmony conversation → prompt ids (spec §6). The harmony system
// message is generated (identity, dates, reasoning effort, built-in tools, channels); OpenAI
// `system`/`developer` messages become the developer `# Instructions`, as llama.cpp and Ollama do.
import type { Tokenizer } from '../tokenizer/index.ts';
import type { ChatMessage, ChatRequest } from './chat-schema.ts';
import { DEFAULT_IDENTITY, DEFAULT_KNOWLEDGE_CUTOFF, systemContent } from './content.ts';
import { BROWSER_TOOL, PYTHON_TOOL } from './builtin-tools.ts';
import { renderForCompletion } from './render.ts';
import { HarmonyError, type DeveloperContent, type HarmonyMessage, type JsonSchema } from './types.ts';

export interface ChatRenderOptions {
  /** `Current date: …` line (YYYY-MM-DD); omitted when not given, as in the harmony library. */
  currentDate?: string;
  knowledgeCutoff?: string; //  default 2024-06
  modelIdentity?: string; //    keep the default: persona changes belong in the instructions
  builtinTools?: Array<'browser' | 'python'>;
}

export interface RenderedPrompt {
  ids: number[];
  text: string;
  /** The harmony conversation that was rendered (after dropping finished turns' analysis). */
  messages: HarmonyMessage[];
}

export function renderChat(tok: Tokenizer, req: ChatRequest, opts: ChatRenderOptions = {}): RenderedPrompt {
  const messages = chatToHarmony(req, opts);
  const ids = renderForCompletion(tok, messages);
  return { ids, text: tok.decode(ids), messages };
}

export function chatToHarmony(req: ChatRequest, opts: ChatRenderOptions = {}): HarmonyMessage[] {
  const system = systemContent({
    modelIdentity: opts.modelIdentity ?? DEFAULT_IDENTITY,
    knowledgeCutoff: opts.knowledgeCutoff ?? DEFAULT_KNOWLEDGE_CUTOFF,
    reasoningEffort: req.reasoning_effort ?? 'medium',
    ...(opts.currentDate ? { currentDate: opts.currentDate } : {}),
    ...(opts.builtinTools?.length ? { tools: opts.builtinTools.map((t) => (t === 'browser' ? BROWSER_TOOL : PYTHON_TOOL)) } : {}),
  });
  const out: HarmonyMessage[] = [{ role: 'system', content: system }];
  const developer = developerContent(req);
  if (developer) out.push({ role: 'developer', content: developer });
  return [...out, ...conversation(req.messages)];
}

function developerContent(req: ChatRequest): DeveloperContent | null {
  const texts = [req.instructions ?? '', ...req.messages.filter((m) => m.role === 'system' || m.role === 'developer').map(text)];
  const instructions = texts.filter((t) => t !== '').join('\n\n');
  const tools = (req.tools ?? []).map(({ function: f }) => ({
    name: f.name,
    description: f.description ?? '',
    ...(f.parameters ? { parameters: f.parameters as JsonSchema } : {}),
  }));
  const rf = req.response_format?.type === 'json_schema' ? req.response_format.json_schema : null;
  if (!instructions && !tools.length && !rf) return null;
  return {
    type: 'developer',
    ...(instructions ? { instructions } : {}),
    ...(tools.length ? { tools: [{ name: 'functions', tools }] } : {}),
    ...(rf ? { responseFormat: { name: rf.name, description: rf.description ?? undefined, schema: (rf.schema ?? {}) as JsonSchema } } : {}),
  };
}

// Chain of thought across turns (spec §6.8, §9 item 16): a turn runs from one user message to the
// next; its analysis is dropped once the turn has a final answer, and kept while it is still
// calling tools (the model needs it to continue).
function conversation(chat: ChatMessage[]): HarmonyMessage[] {
  const out: Array<HarmonyMessage & { turn: number }> = [];
  const finished = new Set<number>();
  const toolNames = new Map<string, string>(); // tool_call id → function name
  let turn = 0;
  chat.forEach((m, i) => {
    const push = (msg: HarmonyMessage) => out.push({ ...msg, turn });
    switch (m.role) {
      case 'system':
      case 'developer':
        return; // gathered into the developer message
      case 'user':
        turn++;
        return push({ role: 'user', content: text(m) });
      case 'tool': {
        const name = (m.tool_call_id && toolNames.get(m.tool_call_id)) || m.name;
        if (!name) throw new HarmonyError(`messages.${i}: tool message with tool_call_id ${JSON.stringify(m.tool_call_id)} matches no earlier assistant tool call`);
        return push({ role: 'tool', name: `functions.${name}`, recipient: 'assistant', channel: 'commentary', content: text(m) });
      }
      case 'assistant': {
        const reasoning = m.reasoning_content ?? m.reasoning;
        const content = text(m);
        if (reasoning) push({ role: 'assistant', channel: 'analysis', content: reasoning });
        if (!m.tool_calls?.length) {
          if (!content) return;
          finished.add(turn);
          return push({ role: 'assistant', channel: 'final', content });
        }
        // Text next to tool calls is a preamble: user-visible commentary before the calls (§6.6).
        if (content) push({ role: 'assistant', channel: 'commentary', content });
        for (const call of m.tool_calls) {
          toolNames.set(call.id, call.function.name);
          const args = call.function.arguments;
          push({
            role: 'assistant', channel: 'commentary', recipient: `functions.${call.function.name}`,
            contentType: '<|constrain|>json', content: typeof args === 'string' ? args : JSON.stringify(args),
          });
        }
      }
    }
  });
  return out.filter((m) => !(m.channel === 'analysis' && finished.has(m.turn))).map(({ turn: _, ...m }) => m);
}

function text(m: ChatMessage): string {
  const c = m.content;
  if (c === undefined || c === null) return '';
  return typeof c === 'string' ? c : c.map((p) => p.text).join('\n');
}
