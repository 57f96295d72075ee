// A loaded model: config + weights on a backend + the activation state, and sessions (one K/V
// cache + position each) that evaluate tokens. Token ids and positions are checked here, once:
// backends trust the forward pass.
import type { Backend, BackendFactory, KvCache, LoadProgress } from '../backends/backend.ts';
import { engineOptions, kvValueBytes, type EngineOptions, type Precision } from '../backends/options.ts';
import { slidingCapacity } from '../backends/backend.ts';
import { loadCheckpoint } from '../model/checkpoint.ts';
import type { Checkpoint, ModelConfig } from '../model/types.ts';
import { allocState, forward, unembed, type State, type Tap } from './forward.ts';
import { ropeParams, type RopeParams } from './rope.ts';
import { uploadWeights } from './upload.ts';
import { bindWeights, type Weights } from './weights.ts';

/** Rows of logits computed per unembedding pass. */
const LOGIT_ROWS = 16;

export class Engine {
  private constructor(readonly config: ModelConfig, readonly backend: Backend, readonly weights: Weights,
    readonly rope: RopeParams, readonly state: State, readonly options: EngineOptions, readonly context: number,
    readonly checkpoint: Checkpoint) {}

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
      return new Engine(c, be, weights, ropeParams(c), state, opts, Math.min(opts.context, c.maxPositions), ckpt);
    } catch (e) {
      be.release();
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
    const n = ids.length, V = this.engine.config.vocabSize;
    if (n === 0) throw new RangeError('eval needs at least one token');
    if (this.position + n > this.cache.context) throw new RangeError(`${this.position + n} tokens exceed the context of ${this.cache.context}`);
    const checked = Int32Array.from(ids);
    for (let i = 0; i < n; i++) {
      if (checked[i] !== ids[i] || checked[i] < 0 || checked[i] >= V) throw new RangeError(`token id ${ids[i]} outside the vocabulary (0..${V - 1})`);
    }
    return this.engine.exclusive(() => this.evalNow(checked, want, tap));
  }

  private async evalNow(ids: Int32Array, want: 'all' | 'last', tap?: Tap): Promise<Float32Array> {
    const m = this.engine, V = m.config.vocabSize, n = ids.length;
    const out = new Float32Array(want === 'all' ? n * V : V);
    for (let i0 = 0; i0 < n; i0 += m.maxBatch) {
      const B = Math.min(m.maxBatch, n - i0);
      forward(m.backend, m.config, m.weights, m.rope, m.state, this.cache, ids.subarray(i0, i0 + B), this.position, B, tap);
      this.position += B;
      if (want === 'all') {
        for (let r = 0; r < B; r += m.state.logits.rows) {
          const k = Math.min(m.state.logits.rows, B - r);
          out.set(await unembed(m.backend, m.weights, m.state, r, k), (i0 + r) * V);
        }
      } else if (i0 + B === n) {
        out.set(await unembed(m.backend, m.weights, m.state, B - 1, 1));
      }
    }
    return out;
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
