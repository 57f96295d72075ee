// Counters the scheduler keeps for /metrics: tokens in and out, time spent prefilling and
// decoding, time to first token, and how requests ended. Cumulative, never reset.

export type FinishReason = 'stop' | 'length' | 'cancelled' | 'error';

/** Upper bounds (seconds) of the time-to-first-token histogram buckets. */
export const TTFT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class Stats {
  promptTokens = 0; //     prompt tokens of admitted requests
  cachedTokens = 0; //     of which reused from a slot's cache
  prefillTokens = 0; //    evaluated prompt tokens
  prefillSeconds = 0;
  decodeTokens = 0; //     generated tokens (each request's first excluded: it ends a prefill)
  decodeSeconds = 0; //    time of passes that only decoded (several requests share one pass)
  readonly finished: Record<FinishReason, number> = { stop: 0, length: 0, cancelled: 0, error: 0 };
  readonly ttft = { buckets: TTFT_BUCKETS.map(() => 0), sum: 0, count: 0 };

  recordTtft(seconds: number): void {
    TTFT_BUCKETS.forEach((le, i) => { if (seconds <= le) this.ttft.buckets[i]++; });
    this.ttft.sum += seconds;
    this.ttft.count++;
  }
}
