// A loaded model: config + weights on a backend + the activation state, and sessions (one K/V
// cache + position each) that evaluate tokens. Token ids and positions are checked here, once:
// backends trust the forward pass.
import type { Backend, BackendFactory, KvCache, KvSnapshot, LoadProgress } from '../backends/backend.ts';
import { engineOptions, kvValueBytes, type EngineOptions, type Precision } from '../backends/options.ts';
import { slidingCapacity } from '../backends/backend.ts';
import { loadCheckpoint } from '../model/checkpoint.ts';
import type { Checkpoint, ModelConfig } from '../model/types.ts';
import { allocState, forward, unembed, unembedArgmax, type Part, type State, type Tap } from './forward.ts';
import { probeFirstPass } from './probe.ts';
import { ropeParams, type RopeParams } from './rope.ts';
import { uploadWeights } from './upload.ts';
import { bindWeights, type Weights } from './weights.ts';

/** A session's K/V positions, copied aside (Session.save). */
export interface SavedState { readonly length: number; readonly bytes: number; readonly snapshot: KvSnapshot; release(): void }

/** Rows of logits computed per unembedding pass. */
const LOGIT_ROWS = 16;

export class Engine {
  private constructor(readonly config: ModelConfig, readonly backend: Backend, readonly weights: Weights,
    readonly rope: RopeParams, readonly state: State, readonly options: EngineOptions, readonly context: number,
    readonly checkpoint: Checkpoint) {
    this.stepIds = new Int32Array(options.maxBatch);
  }

  get maxBatch(): number { return this.options.maxBatch; }
  get precision(): Precision { return this.options.precision; }

  /** Opens `path` (a .gguf file or an HF folder) and uploads it to a backend made by `make`. */
  static async load(path: string, o: Partial<EngineOptions>, make: BackendFactory, progress?: (p: LoadProgress) => void): Promise<Engine> {
    const ckpt = loadCheckpoint(path);
    try {
      return await Engine.fromCheckpoint(ckpt, o, make, progress);
    } finally {
      ckpt.close();
    }
  }

  static async fromCheckpoint(ckpt: Checkpoint, o: Partial<EngineOptions>, make: BackendFactory, progress?: (p: LoadProgress) => void): Promise<Engine> {
    const opts = engineOptions(o), c = ckpt.config;
    const be = make(opts);
    try {
      const weights = bindWeights(c, await uploadWeights(be, ckpt, progress));
      const state = allocState(be, c, opts.maxBatch, Math.min(LOGIT_ROWS, opts.maxBatch));
      const engine = new Engine(c, be, weights, ropeParams(c), state, opts, Math.min(opts.context, c.maxPositions), ckpt);
      await probeFirstPass(engine);
      return engine;
    } catch (e) {
      be.release(); // a half-loaded backend's worker threads would keep the process alive
      throw e;
    }
  }

  /** Bytes of one session's K/V cache for `context` positions (sliding layers keep a ring). */
  kvBytes(context = this.context): number {
    const c = this.config, kvw = c.numKvHeads * c.headDim, e = kvValueBytes(this.precision);
    return c.layerTypes.reduce((s, t) => s + 2 * e * kvw * (t === 'sliding_attention' ? slidingCapacity(c.slidingWindow, context, this.maxBatch) : context), 0);
  }

  newSession(context = this.context): Session {
    return new Session(this, this.backend.kvCache(this.config, context));
  }

  /**
   * One forward pass over several sessions' tokens, each at its own position: the decode steps of
   * every running session (and a prompt chunk beside them) read each weight once per step.
   * Resolves to the logits [V] of each step's last token, in the order given. At most maxBatch
   * tokens in all; a session at most once. Throws RangeError (nothing evaluated) on a bad id or a
   * step past its session's context. With `into` (≥ steps × V values) the rows are views of it,
   * good until the caller writes there or passes it again: a decode loop that samples each
   * step's rows before the next allocates no vocabulary row (0.8 MB of fresh pages on the 20b).
   */
  step(steps: readonly { session: Session; ids: ArrayLike<number> }[], into?: Float32Array): Promise<Float32Array[]> {
    const checked = this.checkStep(steps), V = this.config.vocabSize;
    if (into && into.length < steps.length * V) throw new RangeError(`step: ${steps.length} rows of ${V} logits do not fit an array of ${into.length}`);
    return this.exclusive(() => this.stepNow(steps.map((st) => st.session), checked, (r0, n, at) => unembed(this.backend, this.weights, this.state, r0, n, into?.subarray(at * V))));
  }

  /**
   * step() for greedy decoding: each step's next token, the largest logit among ids < limit,
   * chosen where the logits are (a GPU reads back 4 bytes a step instead of the vocabulary row).
   */
  async stepGreedy(steps: readonly { session: Session; ids: ArrayLike<number> }[], limit: number): Promise<number[]> {
    const checked = this.checkStep(steps), n = Math.min(limit, this.config.vocabSize);
    const rows = await this.exclusive(() => this.stepNow(steps.map((st) => st.session), checked, (r0, k) => unembedArgmax(this.backend, this.weights, this.state, r0, k, n), 1));
    return rows.map((r) => r[0]);
  }

  private checkStep(steps: readonly { session: Session; ids: ArrayLike<number> }[]): Int32Array[] {
    const total = steps.reduce((n, st) => n + st.ids.length, 0);
    if (total > this.maxBatch) throw new RangeError(`a step of ${total} tokens exceeds the batch of ${this.maxBatch}`);
    if (new Set(steps.map((st) => st.session)).size !== steps.length) throw new RangeError('a session appears twice in one step');
    return steps.map((st) => st.session.check(st.ids));
  }

  /**
   * Runs the step; `out(r0, n, at)` reads back rows [r0, r0 + n) of the final hidden states as
   * `width` values each, the first of them the step's result `at` (of the order run).
   */
  private async stepNow(sessions: Session[], ids: Int32Array[], out: (r0: number, n: number, at: number) => Promise<Float32Array>, width = this.config.vocabSize): Promise<Float32Array[]> {
    // One-token steps first: their last rows are then rows 0…k-1, unembedded together.
    const order = sessions.map((_, i) => i).sort((a, b) => Number(ids[a].length > 1) - Number(ids[b].length > 1) || a - b);
    const all = this.stepIds, parts: Part[] = [];
    let B = 0;
    for (const i of order) {
      all.set(ids[i], B);
      parts.push({ cache: sessions[i].cache, pos0: sessions[i].position, r0: B, n: ids[i].length });
      B += ids[i].length;
    }
    forward(this.backend, this.config, this.weights, this.rope, this.state, all.subarray(0, B), parts, B);
    for (const i of order) sessions[i].position += ids[i].length;
    const res: Float32Array[] = new Array(sessions.length), V = width, R = this.state.logits.rows;
    let k = 0;
    while (k < order.length && parts[k].n === 1) k++;
    for (let r = 0; r < k; r += R) {
      const n = Math.min(R, k - r), rows = await out(r, n, r);
      for (let j = 0; j < n; j++) res[order[r + j]] = rows.subarray(j * V, (j + 1) * V);
    }
    for (let j = k; j < order.length; j++) res[order[j]] = await out(parts[j].r0 + parts[j].n - 1, 1, j);
    return res;
  }
  private readonly stepIds: Int32Array;

  /** The activation State is shared by all sessions: forward passes run one at a time. */
  private turn: Promise<unknown> = Promise.resolve();
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.turn.then(work, work);
    this.turn = run.catch(() => undefined);
    return run;
  }

  release(): void { this.backend.release(); }
}

export class Session {
  position = 0;
  constructor(readonly engine: Engine, readonly cache: KvCache) {}

  /**
   * Feeds tokens at the current position. Resolves to the logits of every token ([n, V], `all`)
   * or of the last one ([V], `last`). On the CPU backend the work is done when this returns and
   * the promise is already settled; a GPU backend settles it when the logits are read back.
   * Throws RangeError (nothing evaluated) for an id outside the vocabulary or past the context.
   */
  eval(ids: ArrayLike<number>, want: 'all' | 'last' = 'last', tap?: Tap): Promise<Float32Array> {
    const checked = this.check(ids);
    return this.engine.exclusive(() => this.evalNow(checked, want, tap));
  }

  /** The ids as Int32Array when each is in the vocabulary and they fit the context, else RangeError. */
  check(ids: ArrayLike<number>): Int32Array {
    const n = ids.length, V = this.engine.config.vocabSize;
    if (n === 0) throw new RangeError('eval needs at least one token');
    if (this.position + n > this.cache.context) throw new RangeError(`${this.position + n} tokens exceed the context of ${this.cache.context}`);
    const checked = Int32Array.from(ids);
    for (let i = 0; i < n; i++) {
      if (checked[i] !== ids[i] || checked[i] < 0 || checked[i] >= V) throw new RangeError(`token id ${ids[i]} outside the vocabulary (0..${V - 1})`);
    }
    return checked;
  }

  private async evalNow(ids: Int32Array, want: 'all' | 'last', tap?: Tap): Promise<Float32Array> {
    const m = this.engine, V = m.config.vocabSize, n = ids.length;
    // 'last' hands back the backend's copy itself: a second fresh [V] array (0.8 MB on the 20b)
    // cost about 2 ms a token in page faults.
    let out = new Float32Array(want === 'all' ? n * V : 0);
    for (let i0 = 0; i0 < n; i0 += m.maxBatch) {
      const B = Math.min(m.maxBatch, n - i0);
      forward(m.backend, m.config, m.weights, m.rope, m.state, ids.subarray(i0, i0 + B), [{ cache: this.cache, pos0: this.position, r0: 0, n: B }], B, tap);
      this.position += B;
      if (want === 'all') {
        for (let r = 0; r < B; r += m.state.logits.rows) {
          const k = Math.min(m.state.logits.rows, B - r);
          out.set(await unembed(m.backend, m.weights, m.state, r, k), (i0 + r) * V);
        }
      } else if (i0 + B === n) {
        out = await unembed(m.backend, m.weights, m.state, B - 1, 1);
      }
    }
    return out;
  }

  /**
   * This session's K/V (positions [0, position)) copied aside, for a prompt cache: restore() puts
   * it back into any session of the same context. release() frees it.
   */
  save(): SavedState {
    const be = this.engine.backend, snap = be.saveKv(this.cache, this.position);
    return { length: snap.length, bytes: snap.bytes, snapshot: snap, release: () => be.dropKv(snap) };
  }

  /** Takes a saved state's positions as its own (what it held is overwritten). */
  restore(state: SavedState): void {
    if (state.length > this.cache.context) throw new RangeError(`a state of ${state.length} positions does not fit a context of ${this.cache.context}`);
    this.engine.backend.restoreKv(state.snapshot, this.cache);
    this.position = state.length;
  }

  /**
   * Forgets everything after `position` (the cache beyond it is simply overwritten). A sliding
   * layer's ring (slidingCapacity) holds its window plus some slack, so a rewind may step back at
   * most that slack; further back returns false and the caller starts over.
   */
  rewind(position: number): boolean {
    if (position < 0 || position > this.position) throw new RangeError(`cannot rewind to ${position}`);
    const c = this.engine.config, cap = slidingCapacity(c.slidingWindow, this.cache.context, this.engine.maxBatch);
    if (position > 0 && c.layerTypes.includes('sliding_attention')) {
      if (this.position - position > cap - c.slidingWindow && this.position > cap) return false;
    }
    this.position = position;
    return true;
  }
}
