// The small interface generate/ sees of the engine (DESIGN.md "Floors"): a model that opens
// sessions and steps several of them at once, and a session that evaluates tokens at its position
// and can step back. The engine's Engine/Session satisfy it structurally; tests drive the scheduler
// with scripted fakes.

export interface LanguageModel {
  /** Logits per evaluated token (the model's embedding rows). */
  readonly vocabSize: number;
  /** Tokens one forward pass carries; prompts are prefilled in chunks of at most this size. */
  readonly maxBatch: number;
  /** A session with its own K/V cache for `context` positions (memory is kept for good). */
  newSession(context: number): EngineSession;
  /**
   * One forward pass over several sessions' tokens (≤ maxBatch in all, a session at most once),
   * each at its own position; resolves to the logits [vocabSize] of each one's last token. With
   * `into` (≥ steps × vocabSize values) the rows may be views of it, overwritten by the next step
   * given the same array.
   */
  step(steps: readonly Step[], into?: Float32Array): Promise<Float32Array[]>;
  /**
   * Optional: step() for greedy decoding, each step's argmax among ids < limit (lowest on ties),
   * chosen where the logits are, so only the ids come back.
   */
  stepGreedy?(steps: readonly Step[], limit: number): Promise<number[]>;
}

export interface Step { session: EngineSession; ids: ArrayLike<number> }

export interface EngineSession {
  /** Tokens already in the cache. */
  readonly position: number;
  /** Feeds `ids` at `position`; resolves to the logits [vocabSize] of the last one. */
  eval(ids: ArrayLike<number>, want: 'last'): Promise<Float32Array>;
  /** Forgets everything after `position`; false when the cache cannot step back that far. */
  rewind(position: number): boolean;
  /** Its K/V positions [0, position) copied aside (for the prompt cache). */
  save(): SavedState;
  /** Takes a saved state's positions as its own; `position` becomes its length. */
  restore(state: SavedState): void;
}

/** A session's saved K/V: `bytes` of memory until released. */
export interface SavedState { readonly length: number; readonly bytes: number; release(): void }

/** `step` for a model that cannot batch sessions: each one's tokens in turn, in one call. */
export async function stepEach(steps: readonly Step[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const s of steps) out.push(await s.session.eval(s.ids, 'last'));
  return out;
}
