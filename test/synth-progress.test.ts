// The CLI progress reporter (src/cli/progress.ts) used by `synth`: a redrawn bar on a TTY, a few
// plain lines otherwise.
import { expect, test } from 'bun:test';
import { formatBytes, formatDuration, progress } from '../src/cli/progress.ts';

function fake(tty: boolean) {
  const out: string[] = [];
  let t = 0;
  const p = progress('job', { stream: { write: (s: string) => out.push(s), isTTY: tty, columns: 200 }, now: () => t });
  return { out, p, tick: (ms: number) => (t += ms) };
}

test('log mode: about one line per 10%, then a done line with the rate', () => {
  const { out, p, tick } = fake(false);
  for (let i = 1; i <= 100; i++) {
    tick(100);
    p.update(i * 1e7, 1e9);
  }
  p.finish('note');
  expect(out.length).toBe(11);
  expect(out.every((l) => l.endsWith('\n') && !l.includes('\r'))).toBe(true);
  expect(out[0]).toBe('job: 10% 100.0 MB/1.00 GB after 1.0s, 100.0 MB/s, ETA 9.0s\n');
  expect(out[9]).toBe('job: 100% 1.00 GB/1.00 GB after 10s\n');
  expect(out[10]).toBe('job: done, 1.00 GB in 10s, 100.0 MB/s — note\n');
});

test('TTY mode: redraws in place at most every 100 ms, always draws the end', () => {
  const { out, p, tick } = fake(true);
  for (let i = 1; i <= 100; i++) {
    tick(10);
    p.update(i, 100, 'x');
  }
  p.finish();
  expect(out.length).toBe(11 + 1);
  expect(out[0].startsWith('\rjob [')).toBe(true);
  expect(out[10]).toContain('100.0%');
  expect(out[11].startsWith('\r\x1b[Kjob: done')).toBe(true);
});

test('formatting', () => {
  expect([formatBytes(999), formatBytes(12_091_854_976), formatBytes(5_500_000)]).toEqual(['999 B', '12.09 GB', '5.5 MB']);
  expect([formatDuration(5.25), formatDuration(109), formatDuration(3725)]).toEqual(['5.3s', '1m49s', '1h02m']);
});
