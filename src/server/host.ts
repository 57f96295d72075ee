// The model behind the API and its lifecycle: loading (with progress, answered 503), ready (a
// scheduler over a fixed set of slots), or failed. Routes ask for `ready()` and get a 503 until then.
import { Scheduler, type LoadedModel, type LoadProgress } from '../generate/index.ts';
import { ApiError } from './errors.ts';

export interface Served {
  model: LoadedModel;
  scheduler: Scheduler;
  /** Unix seconds the model became ready (`created` in /v1/models). */
  created: number;
  /** Every name the model answers to: its id first, then its aliases. */
  names: string[];
}

export interface HostOptions {
  /** Slots (concurrent generations); each holds a K/V cache for the whole context. */
  parallel: number;
  maxQueue: number;
  /** Bytes of conversation K/V kept beyond the slots (the prompt cache); 0: none. */
  promptCacheBytes?: number;
  /** Names added to the model's own (`--alias`). */
  aliases?: string[];
  /** Default reasoning budget of chat requests (-1 unlimited). */
  reasoningBudget?: number;
}

export class ModelHost {
  status: 'loading' | 'ready' | 'failed' = 'loading';
  progress: LoadProgress | null = null;
  error: string | null = null;
  served: Served | null = null;

  constructor(readonly o: HostOptions) {}

  /** Runs `open` (which reports progress through `onProgress`) and starts serving its model. */
  async load(open: (onProgress: (p: LoadProgress) => void) => Promise<LoadedModel>): Promise<Served> {
    try {
      const model = await open((p) => { this.progress = p; });
      const scheduler = new Scheduler(model.model, {
        slots: this.o.parallel, context: model.context, maxQueue: this.o.maxQueue, limit: model.limit, promptCacheBytes: this.o.promptCacheBytes,
      });
      const names = [...new Set([model.id, ...model.aliases, ...(this.o.aliases ?? [])])];
      this.served = { model, scheduler, created: Math.floor(Date.now() / 1000), names };
      this.status = 'ready';
      return this.served;
    } catch (e) {
      this.status = 'failed';
      this.error = e instanceof Error ? e.message : String(e);
      throw e;
    }
  }

  /** The served model; throws `unavailable()` until there is one. */
  ready(): Served {
    if (this.served) return this.served;
    throw this.unavailable();
  }

  /** The 503 answered while there is no model. */
  unavailable(): ApiError {
    if (this.status === 'failed') return new ApiError(503, `the model failed to load: ${this.error}`, 'server_error', null, 'model_load_failed');
    return new ApiError(503, `the model is loading (${percent(this.progress)}); retry shortly`, 'server_error', null, 'model_loading', { 'Retry-After': '2' });
  }

  close(): void {
    this.served?.scheduler.close();
    this.served?.model.release();
  }
}

export function percent(p: LoadProgress | null): string {
  return p && p.totalBytes > 0 ? `${Math.floor((100 * p.bytes) / p.totalBytes)}%` : '0%';
}
