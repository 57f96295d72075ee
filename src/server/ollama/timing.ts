// The statistics on Ollama's final object: counts and durations in nanoseconds. The prompt is
// evaluated from when the job is submitted until the first token is sampled; generation runs from
// then to the end. The model is loaded once when the server starts, so a request's load_duration
// is 0. prompt_eval_count counts the prompt tokens evaluated for this request: those reused from
// the prompt cache are not (as in Ollama, where a cached prefix is not evaluated again).
import type { Usage } from '../../generate/index.ts';

const NS = 1e6; // per millisecond

export class Timing {
  readonly start = performance.now();
  submitted = this.start;
  firstToken: number | null = null;

  /** Marks the job as submitted (call when the prompt is ready). */
  submit(): void { this.submitted = performance.now(); }

  /** Pass as the job's onToken. */
  readonly token = (): void => { this.firstToken ??= performance.now(); };

  final(u: Usage) {
    const end = performance.now();
    const first = this.firstToken ?? end;
    const ns = (ms: number) => Math.max(0, Math.round(ms * NS));
    return {
      total_duration: ns(end - this.start), load_duration: 0,
      prompt_eval_count: u.promptTokens - u.cachedTokens, prompt_eval_duration: ns(first - this.submitted),
      eval_count: u.completionTokens, eval_duration: ns(end - first),
    };
  }
}

/** Ollama's `done_reason` for a finish. */
export function doneReason(finish: string): string {
  return finish === 'length' ? 'length' : 'stop';
}
