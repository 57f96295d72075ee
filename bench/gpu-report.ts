// Markdown table and SVG bar chart of a CPU-vs-GPU benchmark (bench/gpu.ts).
export interface GpuRun {
  backend: string; runtime: string; route: string; adapter: string | null; threads: number | null; precision: string;
  load_s: number; prompt_tokens: number; gen_tokens: number; ttft_s: number; prefill_tps: number; decode_tps: number;
  decode_ms: number; weight_bytes: number; last_id: number;
  /** The WebGPU backend's upload steps in seconds (weight-upload.ts UploadStats), in-process runs only. */
  upload?: Record<string, unknown> | null;
}

export interface GpuSummary { date: string; model: string; machine: string; note: string; runs: GpuRun[] }

const label = (r: GpuRun) => (r.backend === 'cpu' ? `CPU (wasm SIMD, ${r.threads} threads)` : `WebGPU: ${r.adapter} [${r.route}]`);
/** The chart's shorter label: the adapter up to its first parenthesis. */
const short = (r: GpuRun) => (r.backend === 'cpu' ? `CPU, ${r.threads} threads` : `WebGPU ${(r.adapter ?? '').split(' (')[0]}, ${r.route}`);

export function gpuMarkdown(s: GpuSummary): string {
  const fmt = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const head = ['backend', `prefill tok/s (pp${s.runs[0]?.prompt_tokens})`, `decode tok/s (tg${s.runs[0]?.gen_tokens})`, 'ms / decoded token', 'time to first token', 'load'];
  const rows = s.runs.map((r) => [label(r), r.prefill_tps.toFixed(2), r.decode_tps.toFixed(2), r.decode_ms.toFixed(1), `${r.ttft_s.toFixed(2)} s`, `${r.load_s.toFixed(1)} s`]);
  return [`### CPU vs WebGPU — ${s.model}, ${s.runs[0]?.precision} precision (${s.date.slice(0, 10)})`, '', `Machine: ${s.machine}`, '',
    fmt(head), fmt(head.map(() => '---')), ...rows.map(fmt), '', s.note, ''].join('\n');
}

/** Two panels (prefill, decode), one bar per run, each panel on its own linear scale. */
export function gpuSvg(s: GpuSummary): string {
  const W = 760, barH = 26, gap = 10, left = 330, right = 90, panelGap = 40;
  const colors = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2'];
  const panels = [['prefill tok/s', (r: GpuRun) => r.prefill_tps], ['decode tok/s', (r: GpuRun) => r.decode_tps]] as const;
  const panelH = s.runs.length * (barH + gap) + 30;
  const H = 50 + panels.length * (panelH + panelGap);
  const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="10" y="24" font-size="15" font-weight="bold">${esc(`CPU vs WebGPU — ${s.model}`)}</text>`];
  panels.forEach(([title, value], p) => {
    const y0 = 50 + p * (panelH + panelGap), max = Math.max(...s.runs.map(value), 1e-9);
    out.push(`<text x="10" y="${y0 + 14}" font-weight="bold">${title}</text>`);
    s.runs.forEach((r, i) => {
      const y = y0 + 24 + i * (barH + gap), w = ((W - left - right) * value(r)) / max;
      out.push(`<text x="${left - 8}" y="${y + barH / 2 + 4}" text-anchor="end">${esc(short(r))}</text>`,
        `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${colors[i % colors.length]}"/>`,
        `<text x="${(left + w + 6).toFixed(1)}" y="${y + barH / 2 + 4}">${value(r).toFixed(2)}</text>`);
    });
  });
  out.push('</svg>');
  return out.join('\n');
}
