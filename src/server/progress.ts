// Model-load progress on stderr: a redrawn bar on a terminal, a plain line every 10 % otherwise
// (logs, CI, systemd).
import type { LoadProgress } from '../generate/index.ts';

export interface Out { write(s: string): unknown; isTTY?: boolean }

const WIDTH = 30;
const REDRAW_MS = 100;

export function progressReporter(out: Out, label: string): { update(p: LoadProgress): void; done(): void } {
  let lastDraw = 0, lastTenth = -1, drawn = false;
  return {
    update(p) {
      const f = p.totalBytes > 0 ? p.bytes / p.totalBytes : 0;
      const text = `${Math.floor(f * 100)}%  ${size(p.bytes)} / ${size(p.totalBytes)}  ${p.tensors}/${p.totalTensors} tensors`;
      if (out.isTTY) {
        const now = Date.now();
        if (now - lastDraw < REDRAW_MS && f < 1) return;
        lastDraw = now;
        const full = Math.round(f * WIDTH);
        out.write(`\r\x1b[K${label} [${'█'.repeat(full)}${'░'.repeat(WIDTH - full)}] ${text}`);
        drawn = true;
      } else if (Math.floor(f * 10) > lastTenth) {
        lastTenth = Math.floor(f * 10);
        out.write(`${label}: ${text}\n`);
      }
    },
    done() { if (drawn) out.write('\n'); },
  };
}

export function size(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (bytes >= 1000 && i < units.length - 1) { bytes /= 1000; i++; }
  return `${bytes.toFixed(i ? 1 : 0)} ${units[i]}`;
}
