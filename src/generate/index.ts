// generate/: one request → tokens. Sampling (sampler.ts), stop rules (stop-strings.ts, the stop ids
// of a job), output handlers (text-output.ts, chat-output.ts), and the scheduler that owns the
// engine's sessions.
export { argmax } from '../backends/argmax.ts';
export { stepEach, type EngineSession, type LanguageModel, type SavedState, type Step } from './language-model.ts';
export { DEMO_MODEL_ID, type LoadedModel, type LoadProgress, type ModelFacts } from './served-model.ts';
export { Sampler, logprobsOf, type SampledToken, type SamplingOptions, type TokenLogprob } from './sampler.ts';
export { QueueFullError, Scheduler, type End, type GenerateJob, type OutputHandler, type SchedulerOptions, type Usage } from './scheduler.ts';
export { Stats, TTFT_BUCKETS, type FinishReason } from './stats.ts';
export { StopStrings } from './stop-strings.ts';
export { textOutput, tokenInfo, type TextEvent, type TokenAlternative, type TokenInfo } from './text-output.ts';
export { samplingLimit } from './vocab.ts';
export { chatOutput, chatStopIds, type ChatEvent, type ChatFinish } from './chat-output.ts';
export {
  GrammarError, HarmonyConstraint, JsonGrammars, JsonMatcher, TokenChoice, outputConstraint, planOutput,
  type AnswerFormat, type Constraint, type OutputPlan, type OutputRequest, type ToolChoice,
} from './constrain/index.ts';
