// What a request asks the output to be, in API-neutral terms (chat completions and the Responses
// API both map their fields onto OutputRequest), compiled into an OutputPlan the harmony constraint
// follows: how much reasoning, whether a final answer may come and in which form, which functions
// may be called with which argument grammar, and whether the message headers are chosen for the
// model from the first token (structure required) or only watched.
import type { Tokenizer } from '../../tokenizer/index.ts';
import { GrammarError, JsonGrammars, type CompiledJson, type JsonSchema } from './json-grammar.ts';

export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };
export type AnswerFormat = { type: 'text' } | { type: 'json_object' } | { type: 'json_schema'; schema: JsonSchema | null };

export interface OutputRequest {
  /** Analysis tokens before the answer is forced open: -1 unlimited, 0 no reasoning. */
  reasoningBudget: number;
  format?: AnswerFormat | null;
  tools?: ReadonlyArray<{ name: string; parameters?: JsonSchema | null }>;
  toolChoice?: ToolChoice | null;
}

export interface OutputPlan {
  reasoningBudget: number;
  /** The final answer, free text (grammar null) or a JSON document; null: a tool call is required. */
  final: { grammar: CompiledJson | null } | null;
  /** Functions that may be called; grammar null leaves the arguments free. */
  tools: Array<{ name: string; grammar: CompiledJson | null }>;
  /**
   * Headers are chosen among the plan's from the first token. Otherwise (no format, no required or
   * forbidden call, no budget: tools offered on `auto`) they are only watched, and a call the model
   * opens to a known function gets that function's argument grammar.
   */
  strict: boolean;
}

/**
 * The plan for a request, or null when it asks for nothing to enforce (no hook at all then).
 * Throws GrammarError when a schema that must hold (response format, a required call) cannot be
 * compiled; an optional function's schema that cannot be is left unenforced.
 */
export async function planOutput(tok: Tokenizer, r: OutputRequest): Promise<OutputPlan | null> {
  const choice = r.toolChoice ?? 'auto';
  const tools = r.tools ?? [];
  const named = typeof choice === 'object' ? choice.name : null;
  const callable = choice === 'none' ? [] : named ? tools.filter((t) => t.name === named) : tools;
  if (named && callable.length === 0) throw new GrammarError(`tool_choice names \`${named}\`, which is not among the tools`, 'tool_choice');
  const mustCall = (choice === 'required' || named !== null) && callable.length > 0;
  const format = r.format?.type === 'json_object' || r.format?.type === 'json_schema' ? r.format : null;
  const forbidCalls = choice === 'none' && tools.length > 0;
  // A budget needs to know where analysis is, and promises an answer: it chooses headers too.
  const strict = format !== null || mustCall || forbidCalls || r.reasoningBudget >= 0;
  if (!strict && callable.length === 0) return null;

  const grammars = format || callable.length ? await JsonGrammars.for(tok) : null;
  const finalGrammar = format ? await grammars!.compile(format.type === 'json_schema' ? format.schema ?? {} : null) : null;
  const toolGrammars = await Promise.all(callable.map(async (t) => {
    try {
      return { name: t.name, grammar: await grammars!.compile(t.parameters ?? null) };
    } catch (e) {
      if (!(e instanceof GrammarError)) throw e;
      if (mustCall) throw new GrammarError(e.message, { tool: t.name });
      return { name: t.name, grammar: null }; // auto: the model may still call it, unchecked
    }
  }));
  return { reasoningBudget: r.reasoningBudget, final: mustCall ? null : { grammar: finalGrammar }, tools: toolGrammars, strict };
}
