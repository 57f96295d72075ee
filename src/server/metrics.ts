// GET /metrics in the Prometheus text format (version 0.0.4): HTTP requests by route and status,
// tokens in and out, queue depth and busy slots, prefill/decode throughput, time to first token.
import type { MiddlewareHandler } from 'hono';
import { TTFT_BUCKETS } from '../generate/index.ts';
import type { ModelHost } from './host.ts';
import { promptsFor } from './prompts.ts';

export class RequestCounter {
  readonly counts = new Map<string, number>();

  middleware(): MiddlewareHandler {
    const counts = this.counts;
    return async function countRequests(c, next) {
      await next();
      const key = `route="${c.req.routePath === '/*' || c.req.routePath === '*' ? 'other' : c.req.routePath}",status="${c.res.status}"`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    };
  }
}

export function metricsText(host: ModelHost, requests: RequestCounter): string {
  const out: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge' | 'histogram', help: string, lines: string[]) => {
    out.push(`# HELP oss_edge_${name} ${help}`, `# TYPE oss_edge_${name} ${type}`, ...lines.map((l) => `oss_edge_${l}`));
  };
  const one = (name: string, type: 'counter' | 'gauge', help: string, value: number) => metric(name, type, help, [`${name} ${value}`]);
  metric('requests_total', 'counter', 'HTTP requests answered, by route and status.', [...requests.counts].map(([k, v]) => `requests_total{${k}} ${v}`));
  one('model_ready', 'gauge', '1 once the model serves, 0 while it loads.', host.served ? 1 : 0);
  const served = host.served;
  if (served) {
    const s = served.scheduler, st = s.stats;
    one('slots', 'gauge', 'Generation slots (concurrent requests).', s.slots);
    one('slots_busy', 'gauge', 'Slots generating now.', s.busy);
    one('queue_depth', 'gauge', 'Requests waiting for a slot.', s.queued);
    one('prompt_worker_running', 'gauge', 'Whether the thread that tokenizes large prompts is alive (it ends after 10 s idle).', promptsFor(served.model.tokenizer).running ? 1 : 0);
    one('prompt_tokens_total', 'counter', 'Prompt tokens of admitted requests.', st.promptTokens);
    one('prompt_tokens_cached_total', 'counter', 'Prompt tokens reused from a slot cache.', st.cachedTokens);
    one('generated_tokens_total', 'counter', 'Tokens generated.', st.decodeTokens + st.ttft.count);
    one('prefill_seconds_total', 'counter', 'Time spent evaluating prompts.', st.prefillSeconds);
    one('decode_seconds_total', 'counter', 'Time spent generating tokens after the first.', st.decodeSeconds);
    one('prefill_tokens_per_second', 'gauge', 'Average prompt evaluation speed.', rate(st.prefillTokens, st.prefillSeconds));
    one('decode_tokens_per_second', 'gauge', 'Average generation speed.', rate(st.decodeTokens, st.decodeSeconds));
    metric('generations_total', 'counter', 'Finished generations by finish reason.', Object.entries(st.finished).map(([k, v]) => `generations_total{finish="${k}"} ${v}`));
    metric('time_to_first_token_seconds', 'histogram', 'From request to first token (queue wait included).', [
      ...TTFT_BUCKETS.map((le, i) => `time_to_first_token_seconds_bucket{le="${le}"} ${st.ttft.buckets[i]}`),
      `time_to_first_token_seconds_bucket{le="+Inf"} ${st.ttft.count}`,
      `time_to_first_token_seconds_sum ${st.ttft.sum}`, `time_to_first_token_seconds_count ${st.ttft.count}`,
    ]);
  }
  return out.join('\n') + '\n';
}

function rate(tokens: number, seconds: number): number {
  return seconds > 0 ? Math.round((tokens / seconds) * 100) / 100 : 0;
}
