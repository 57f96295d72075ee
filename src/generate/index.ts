// generate/: one request → tokens. Sampling (sampler.ts), stop rules (stop.ts, the stop ids of a
// job), output handlers (text.ts, chat.ts), and the scheduler that owns the engine's sessions.
export { argmax } from './argmax.ts';
export type { EngineSession, LanguageModel } from './engine.ts';
export { DEMO_MODEL_ID, loadModel, type BackendChoice, type LoadedModel, type LoadOptions, type LoadProgress } from './load.ts';
export { Sampler, logprobsOf, type SampledToken, type SamplingOptions, type TokenLogprob } from './sampler.ts';
export { QueueFullError, Scheduler, type End, type GenerateJob, type OutputHandler, type SchedulerOptions, type Usage } from './scheduler.ts';
export { Stats, TTFT_BUCKETS, type FinishReason } from './stats.ts';
export { StopStrings } from './stop.ts';
export { textOutput, tokenInfo, type TextEvent, type TokenAlternative, type TokenInfo } from './text.ts';
export { samplingLimit } from './vocab.ts';
export { chatOutput, chatStopIds, type ChatEvent, type ChatFinish } from './chat.ts';
export {
  GrammarError, HarmonyConstraint, JsonGrammars, JsonMatcher, TokenChoice, outputConstraint, planOutput,
  type AnswerFormat, type Constraint, type OutputPlan, type OutputRequest, type ToolChoice,
} from './constrain/index.ts';
