// Markdown table of one benchmark summary (bench/run.ts).
export interface RunResult {
  name: string; load_s: number; prompt_tokens: number; gen_tokens: number; ttft_s: number;
  prefill_tps: number; decode_tps: number; peak_rss_bytes: number; weight_bytes?: number; kv_bytes?: number;
}

const gb = (b: number) => `${(b / 1e9).toFixed(2)} GB`;

// deno-lint-ignore no-explicit-any
export function markdownReport(s: any): string {
  const rows: string[][] = [['', 'oss-edge', ...(s.peer ? [s.peer.name, 'ratio'] : [])]];
  const line = (k: string, ours: string, peer?: string, ratio?: string) => rows.push([k, ours, ...(s.peer ? [peer ?? '', ratio ?? ''] : [])]);
  line(`prefill tok/s (pp${s.prompt_tokens})`, s.prefill_tps.toFixed(2), s.peer?.prefill_tps.toFixed(2), s.ratio ? `${s.ratio.prefill.toFixed(2)}×` : '');
  line(`decode tok/s (tg${s.gen_tokens})`, s.decode_tps.toFixed(2), s.peer?.decode_tps.toFixed(2), s.ratio ? `${s.ratio.decode.toFixed(2)}×` : '');
  line('time to first token', `${s.ttft_s.toFixed(2)} s`);
  line('load time', `${s.load_s.toFixed(1)} s`, s.peer ? `${s.peer.load_s.toFixed(1)} s (mmap)` : undefined);
  line('peak RSS', gb(s.peak_rss_bytes), s.peer ? gb(s.peer.peak_rss_bytes) : undefined);
  line('weights + KV cache held', `${gb(s.weight_bytes)} + ${gb(s.kv_bytes)}`);
  line('weight bytes read per decoded token', gb(s.decode_bytes_per_token));
  line(`share of memory bandwidth (${s.mem_bw_gbs.toFixed(1)} GB/s measured)`, `${(100 * s.bandwidth_share).toFixed(0)} %`,
    s.peer ? `${(100 * s.peer.decode_tps * s.decode_bytes_per_token / (s.mem_bw_gbs * 1e9)).toFixed(0)} %` : undefined);
  const fmt = (r: string[]) => `| ${r.join(' | ')} |`;
  return [`### ${s.model} — ${s.threads} threads, ${s.precision} precision (${s.date.slice(0, 10)})`, '', `Machine: ${s.machine}`, '',
    fmt(rows[0]), fmt(rows[0].map(() => '---')), ...rows.slice(1).map(fmt), ''].join('\n');
}
