// The per-step hook the scheduler consults for one generation: tokens that must come next (fed to
// the model without sampling, so they enter its K/V cache like sampled ones), otherwise a mask over
// the logits before sampling; every token that goes out, sampled or forced, is reported back.
// `room` is how many more tokens may go out before max_tokens or the context ends the generation
// (the one asked about included), so a constraint can close what it opened in time.

export interface Constraint {
  /** Ids that must come next, in order, or null to sample (then `mask` is asked first). */
  forced(room: number): readonly number[] | null;
  /** Sets the logits of ids that may not come next to -Infinity (ids ≥ `limit` are never sampled). */
  mask(logits: Float32Array, limit: number, room: number): void | Promise<void>;
  /** The token that went out (sampled or forced). */
  accept(id: number): void;
  /** The generation is over (any way): releases what the constraint holds. */
  close(): void;
}

/** -Infinity for every id < limit except `allowed`. */
export function allowOnly(logits: Float32Array, limit: number, allowed: Iterable<number>): void {
  const keep: Array<[number, number]> = [];
  for (const id of allowed) if (id < limit) keep.push([id, logits[id]]);
  logits.fill(-Infinity, 0, limit);
  for (const [id, v] of keep) logits[id] = v;
}

/** -Infinity for the ids in `banned` (below limit). */
export function forbid(logits: Float32Array, limit: number, banned: Iterable<number>): void {
  for (const id of banned) if (id < limit) logits[id] = -Infinity;
}
