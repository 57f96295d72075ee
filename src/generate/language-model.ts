// The small interface generate/ sees of the engine (DESIGN.md "Floors"): a model that opens
// sessions, and a session that evaluates tokens at its position and can step back. The engine's
// Model/Session satisfy it structurally; tests drive the scheduler with a scripted fake.

export interface LanguageModel {
  /** Logits per evaluated token (the model's embedding rows). */
  readonly vocabSize: number;
  /** Tokens one forward call carries; prompts are prefilled in chunks of this size. */
  readonly maxBatch: number;
  /** A session with its own K/V cache for `context` positions (memory is kept for good). */
  newSession(context: number): EngineSession;
}

export interface EngineSession {
  /** Tokens already in the cache. */
  readonly position: number;
  /** Feeds `ids` at `position`; resolves to the logits [vocabSize] of the last one. */
  eval(ids: ArrayLike<number>, want: 'last'): Promise<Float32Array>;
  /** Forgets everything after `position`; false when the cache cannot step back that far. */
  rewind(position: number): boolean;
}
