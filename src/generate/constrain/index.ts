// constrain/: what a generation must look like, enforced token by token. The scheduler only sees
// the Constraint hook (constraint.ts); the harmony constraint (harmony.ts) follows an OutputPlan
// (plan.ts) built from a request: reasoning budget, JSON answer (json-grammar.ts, xgrammar), the
// functions that may or must be called.
import type { Tokenizer } from '../../tokenizer/index.ts';
import { HarmonyConstraint } from './harmony.ts';
import { planOutput, type OutputRequest } from './plan.ts';

export { allowOnly, forbid, type Constraint } from './constraint.ts';
export { TokenChoice } from './choice.ts';
export { HarmonyConstraint } from './harmony.ts';
export { GrammarError, JsonGrammars, JsonMatcher, applyBitmask, type CompiledJson, type GrammarSource, type JsonSchema } from './json-grammar.ts';
export { planOutput, type AnswerFormat, type OutputPlan, type OutputRequest, type ToolChoice } from './plan.ts';

/** The constraint a request needs, or null when it asks for nothing (throws GrammarError, see planOutput). */
export async function outputConstraint(tok: Tokenizer, r: OutputRequest): Promise<HarmonyConstraint | null> {
  const plan = await planOutput(tok, r);
  return plan && new HarmonyConstraint(tok, plan);
}
