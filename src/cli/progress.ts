// Progress for long CLI jobs (writing checkpoints, loading models, downloads): a one-line bar redrawn
// in place on a terminal, plain log lines otherwise (CI logs, pipes), where a carriage-return bar
// would turn into megabytes of noise; both give bytes, rate and ETA. Writes to stderr so stdout
// stays for results.

export interface Progress {
  /** `done` of `total` units (bytes unless `unit` says otherwise); `label` names the current item. */
  update(done: number, total: number, label?: string): void;
  /** Final line: elapsed time and rate, plus `note`. */
  finish(note?: string): void;
}

export interface ProgressOptions {
  /** Where to draw (default process.stderr). */
  stream?: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  /** Force bar or log mode (default: bar on a TTY). */
  tty?: boolean;
  /** Log mode: one line per this fraction of the total (default 0.1) or per `logEveryMs` (default 15 s). */
  logEvery?: number;
  logEveryMs?: number;
  /** 'bytes' (default) formats as GB/MB with a rate; 'items' as plain counts. */
  unit?: 'bytes' | 'items';
  now?: () => number;
}

export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** A reporter titled `title` (e.g. "gguf /tmp/x.gguf"). */
export function progress(title: string, o: ProgressOptions = {}): Progress {
  const out = o.stream ?? process.stderr;
  const tty = o.tty ?? !!out.isTTY;
  const now = o.now ?? (() => performance.now());
  const bytes = (o.unit ?? 'bytes') === 'bytes';
  const amount = (n: number) => (bytes ? formatBytes(n) : String(n));
  const t0 = now();
  let lastDraw = -Infinity, lastStep = 0, lastLogAt = t0, last = { done: 0, total: 0 };

  const stats = (done: number, total: number) => {
    const s = (now() - t0) / 1000;
    const rate = s > 0 ? done / s : 0;
    const eta = rate > 0 ? (total - done) / rate : Infinity;
    return { s, rate, eta, pct: total > 0 ? (100 * done) / total : 100 };
  };

  return {
    update(done, total, label) {
      last = { done, total };
      const t = now();
      const st = stats(done, total);
      if (tty) {
        if (t - lastDraw < 100 && done < total) return; // ≤ 10 redraws a second
        lastDraw = t;
        const width = 24;
        const fill = Math.min(width, Math.round((st.pct / 100) * width));
        const rate = bytes ? ` ${formatBytes(st.rate)}/s` : '';
        let line = `${title} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${st.pct.toFixed(1)}% ${amount(done)}/${amount(total)}${rate} ETA ${formatDuration(st.eta)}${label ? ` ${label}` : ''}`;
        const cols = out.columns ?? 120;
        if (line.length > cols - 1) line = line.slice(0, cols - 1);
        out.write(`\r${line}\x1b[K`);
        return;
      }
      // A line each time another `logEvery` of the total is crossed, or after logEveryMs of silence.
      const step = Math.floor((total > 0 ? done / total : 1) / (o.logEvery ?? 0.1) + 1e-9);
      if (step <= lastStep && t - lastLogAt < (o.logEveryMs ?? 15000)) return;
      lastStep = step;
      lastLogAt = t;
      const speed = bytes && done < total ? `, ${formatBytes(st.rate)}/s, ETA ${formatDuration(st.eta)}` : '';
      out.write(`${title}: ${st.pct.toFixed(0)}% ${amount(done)}/${amount(total)} after ${formatDuration(st.s)}${speed}${label ? ` (${label})` : ''}\n`);
    },
    finish(note) {
      const st = stats(last.done, last.total);
      const rate = bytes && st.s > 0 ? `, ${formatBytes(st.rate)}/s` : '';
      out.write(`${tty ? '\r\x1b[K' : ''}${title}: done, ${amount(last.done)} in ${formatDuration(st.s)}${rate}${note ? ` — ${note}` : ''}\n`);
    },
  };
}
