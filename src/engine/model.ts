// A loaded model: config + weights on a backend + the activation state, and sessions (one K/V
// cache + position each) that evaluate tokens.
import { availableParallelism } from 'node:os';
import { loadCheckpoint } from '../model/load.ts';
import type { Checkpoint, ModelConfig } from '../model/types.ts';
import { kvValueBytes, slidingCapacity, type Backend, type BackendOptions, type KvCache, type Precision } from './backend.ts';
import { allocState, forward, unembed, type State, type Tap } from './forward.ts';
import { probeFirstPass } from './probe.ts';
import { ropeParams, type RopeParams } from './rope.ts';
import { bindWeights, type Weights } from './weights.ts';

export interface ModelOptions {
  precision?: Precision;
  /** CPU threads, the calling one included (default: the core count). */
  threads?: number;
  /** Tokens per forward call (prompts are split into batches of this size). */
  maxBatch?: number;
  /** Default context of a session. */
  context?: number;
  arenaBytes?: number;
  /** Re-quantise float weight matrices to Q8_0 at load (BackendOptions.denseQ8). */
  denseQ8?: boolean;
  backend?: (opts: BackendOptions) => Backend;
  progress?: BackendOptions['progress'];
}

/** Rows of logits computed per unembedding pass. */
const LOGIT_ROWS = 16;

export class Model {
  private constructor(readonly config: ModelConfig, readonly backend: Backend, readonly weights: Weights,
    readonly rope: RopeParams, readonly state: State, readonly maxBatch: number, readonly context: number,
    readonly checkpoint: Checkpoint, readonly precision: Precision) {}

  static async load(path: string, o: ModelOptions = {}): Promise<Model> {
    const ckpt = loadCheckpoint(path);
    try {
      return await Model.fromCheckpoint(ckpt, o);
    } finally {
      ckpt.close();
    }
  }

  static async fromCheckpoint(ckpt: Checkpoint, o: ModelOptions = {}): Promise<Model> {
    const c = ckpt.config;
    const maxBatch = o.maxBatch ?? 64;
    const context = Math.min(o.context ?? 4096, c.maxPositions);
    const make = o.backend ?? (await import('../backends/cpu/backend.ts')).createCpuBackend;
    const precision = o.precision ?? 'exact';
    const be = make({ precision, maxBatch, threads: o.threads ?? availableParallelism(), arenaBytes: o.arenaBytes, denseQ8: o.denseQ8, progress: o.progress });
    try {
      const weights = bindWeights(c, await be.upload(ckpt));
      const state = allocState(be, c, maxBatch, Math.min(LOGIT_ROWS, maxBatch));
      const model = new Model(c, be, weights, ropeParams(c), state, maxBatch, context, ckpt, precision);
      await probeFirstPass(model);
      return model;
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
  constructor(readonly model: Model, readonly cache: KvCache) {}

  /**
   * Feeds tokens at the current position. Resolves to the logits of every token ([n, V], `all`)
   * or of the last one ([V], `last`). On the CPU backend the work is done when this returns and
   * the promise is already settled; a GPU backend settles it when the logits are read back.
   */
  eval(ids: ArrayLike<number>, want: 'all' | 'last' = 'last', tap?: Tap): Promise<Float32Array> {
    return this.model.exclusive(() => this.evalNow(ids, want, tap));
  }

  private async evalNow(ids: ArrayLike<number>, want: 'all' | 'last', tap?: Tap): Promise<Float32Array> {
    const m = this.model, V = m.config.vocabSize, n = ids.length;
    if (n === 0) throw new RangeError('eval needs at least one token');
    if (this.position + n > this.cache.context) throw new RangeError(`${this.position + n} tokens exceed the context of ${this.cache.context}`);
    const out = new Float32Array(want === 'all' ? n * V : V);
    for (let i0 = 0; i0 < n; i0 += m.maxBatch) {
      const B = Math.min(m.maxBatch, n - i0);
      const chunk = Array.prototype.slice.call(ids, i0, i0 + B) as number[];
      forward(m.backend, m.config, m.weights, m.rope, m.state, this.cache, chunk, this.position, B, tap);
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
    const c = this.model.config;
    if (position > 0 && c.layerTypes.includes('sliding_attention')) {
      const slack = slidingCapacity(c.slidingWindow, this.cache.context, this.model.maxBatch) - c.slidingWindow;
      if (this.position - position > slack && this.position > slidingCapacity(c.slidingWindow, this.cache.context, this.model.maxBatch)) return false;
    }
    this.position = position;
    return true;
  }
}
