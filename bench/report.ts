// Markdown table of one benchmark summary (bench/run.ts).
/** decode_tps: the fastest of the decode windows (tok/s each in decode_windows_tps, when there were several). */
export interface DepthRun { depth: number; prefill_tps: number; decode_tps: number; decode_windows_tps?: number[] }
export interface StreamsRun { streams: number; prompt_tokens: number; gen_tokens: number; single_decode_tps: number; aggregate_decode_tps: number }
export interface RunResult {
  name: string; load_s: number; prompt_tokens: number; gen_tokens: number; ttft_s: number;
  prefill_tps: number; decode_tps: number; peak_rss_bytes: number; weight_bytes?: number; kv_bytes?: number; huge_page_bytes?: number;
  depths?: DepthRun[]; streams?: StreamsRun | null;
}

const gb = (b: number) => `${(b / 1e9).toFixed(2)} GB`;

// deno-lint-ignore no-explicit-any
export function markdownReport(s: any): string {
  const rows: string[][] = [['', 'oss-edge', ...(s.peer ? [s.peer.name, 'ratio'] : [])]];
  const line = (k: string, ours: string, peer?: string, ratio?: string) => rows.push([k, ours, ...(s.peer ? [peer ?? '', ratio ?? ''] : [])]);
  line(`prefill tok/s (pp${s.prompt_tokens})`, s.prefill_tps.toFixed(2), s.peer?.prefill_tps.toFixed(2), s.ratio ? `${s.ratio.prefill.toFixed(2)}×` : '');
  line(`decode tok/s (tg${s.gen_tokens})`, s.decode_tps.toFixed(2), s.peer?.decode_tps.toFixed(2), s.ratio ? `${s.ratio.decode.toFixed(2)}×` : '');
  const ratio = (a: number, b?: number) => (b ? `${(a / b).toFixed(2)}×` : '');
  const windows = (r: DepthRun) => ((r.decode_windows_tps?.length ?? 0) > 1 ? ` (windows ${r.decode_windows_tps!.map((x) => x.toFixed(2)).join(' / ')})` : '');
  (s.depths as DepthRun[]).forEach((d, i) => {
    const pd = s.peer?.depths?.[i] as DepthRun | undefined;
    line(`decode tok/s at depth ${d.depth} (prefill ${d.depth} first; fastest window of tg${s.depth_gen_tokens ?? ''})`, d.decode_tps.toFixed(2) + windows(d),
      pd ? pd.decode_tps.toFixed(2) + windows(pd) : undefined, ratio(d.decode_tps, pd?.decode_tps));
    line(`prefill tok/s (pp${d.depth})`, d.prefill_tps.toFixed(2), pd?.prefill_tps.toFixed(2), ratio(d.prefill_tps, pd?.prefill_tps));
  });
  if (s.streams) {
    const m = s.streams as StreamsRun, pm = s.peer?.streams as StreamsRun | undefined;
    line(`${m.streams} concurrent streams: aggregate decode tok/s (pp${m.prompt_tokens} each, tg${m.gen_tokens})`, m.aggregate_decode_tps.toFixed(2), pm?.aggregate_decode_tps.toFixed(2), ratio(m.aggregate_decode_tps, pm?.aggregate_decode_tps));
    line(`… against one stream alone (${m.single_decode_tps.toFixed(2)} tok/s${pm ? `; peer ${pm.single_decode_tps.toFixed(2)}` : ''})`, `${(m.aggregate_decode_tps / m.single_decode_tps).toFixed(2)}×`, pm ? `${(pm.aggregate_decode_tps / pm.single_decode_tps).toFixed(2)}×` : undefined);
  }
  line('time to first token', `${s.ttft_s.toFixed(2)} s`);
  line(`load time${s.cold ? ', cold page cache (file evicted before each run)' : ''}; ratio of times`, `${s.load_s.toFixed(1)} s`,
    s.peer ? `${s.peer.load_s.toFixed(1)} s (mmap)` : undefined, s.peer ? ratio(s.load_s, s.peer.load_s) : undefined);
  line('peak RSS (the runs without the depth sessions)', gb(s.peak_rss_bytes), s.peer ? gb(s.peer.peak_rss_bytes) : undefined);
  if (s.peak_rss_all_bytes && s.peak_rss_all_bytes !== s.peak_rss_bytes) {
    line('peak RSS of run 1, with the depth and stream sessions too', gb(s.peak_rss_all_bytes), s.peer?.peak_rss_all_bytes ? gb(s.peer.peak_rss_all_bytes) : undefined);
  }
  line('weights + KV cache held', `${gb(s.weight_bytes)} + ${gb(s.kv_bytes)}`);
  if (s.huge_page_bytes !== undefined) {
    line('of the memory at the end, mapped in 2 MiB pages (transparent huge pages)', gb(s.huge_page_bytes), s.peer?.huge_page_bytes !== undefined ? gb(s.peer.huge_page_bytes) : undefined);
  }
  line('weight bytes read per decoded token', gb(s.decode_bytes_per_token));
  line(`share of memory bandwidth (${s.mem_bw_gbs.toFixed(1)} GB/s measured)`, `${(100 * s.bandwidth_share).toFixed(0)} %`,
    s.peer ? `${(100 * s.peer.decode_tps * s.decode_bytes_per_token / (s.mem_bw_gbs * 1e9)).toFixed(0)} %` : undefined);
  const fmt = (r: string[]) => `| ${r.join(' | ')} |`;
  return [`### ${s.model} — ${s.threads} threads, ${s.precision} precision (${s.date.slice(0, 10)})`, '', `Machine: ${s.machine}`, '',
    fmt(rows[0]), fmt(rows[0].map(() => '---')), ...rows.slice(1).map(fmt), ''].join('\n');
}

/** Decode tok/s against context depth, one line per engine (the pp run's depth first). */
// deno-lint-ignore no-explicit-any
export function depthSvg(s: any): string {
  const series: { name: string; pts: [number, number][]; color: string }[] = [
    { name: 'oss-edge', color: '#4e79a7', pts: [[s.prompt_tokens, s.decode_tps], ...(s.depths as DepthRun[]).map((d): [number, number] => [d.depth, d.decode_tps])] },
  ];
  if (s.peer) series.push({ name: s.peer.name, color: '#e15759', pts: [[s.prompt_tokens, s.peer.decode_tps], ...(s.peer.depths as DepthRun[]).map((d): [number, number] => [d.depth, d.decode_tps])] });
  const W = 720, H = 420, L = 70, R = 30, T = 50, B = 60;
  const xs = series.flatMap((x) => x.pts.map((p) => p[0])), ys = series.flatMap((x) => x.pts.map((p) => p[1]));
  const x0 = Math.log2(Math.min(...xs)), x1 = Math.log2(Math.max(...xs)) + 1e-9, yMax = Math.max(...ys) * 1.15;
  const X = (v: number) => L + ((Math.log2(v) - x0) / (x1 - x0 || 1)) * (W - L - R), Y = (v: number) => H - B - (v / yMax) * (H - T - B);
  const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="24" font-size="15" font-weight="bold">${esc(`Decode tok/s against context depth — ${s.model}, ${s.threads} threads`)}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#333"/>`, `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#333"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 18}" text-anchor="middle">context depth (tokens already in the cache, log scale)</text>`,
    `<text x="18" y="${(T + H - B) / 2}" transform="rotate(-90 18 ${(T + H - B) / 2})" text-anchor="middle">decode tok/s</text>`];
  for (const v of [...new Set(xs)]) out.push(`<text x="${X(v)}" y="${H - B + 16}" text-anchor="middle">${v}</text>`);
  for (let k = 0; k <= 4; k++) out.push(`<text x="${L - 6}" y="${Y((yMax * k) / 4) + 4}" text-anchor="end">${((yMax * k) / 4).toFixed(1)}</text>`);
  series.forEach((ser, i) => {
    out.push(`<polyline fill="none" stroke="${ser.color}" stroke-width="2" points="${ser.pts.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y] of ser.pts) out.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="3.5" fill="${ser.color}"/>`, `<text x="${X(x) + 6}" y="${Y(y) - 6}" fill="${ser.color}">${y.toFixed(2)}</text>`);
    out.push(`<rect x="${W - R - 250}" y="${T + i * 18}" width="12" height="12" fill="${ser.color}"/>`, `<text x="${W - R - 232}" y="${T + i * 18 + 10}">${esc(ser.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
