// `serve` flags and environment, and the load-progress display (bar on a TTY, lines otherwise).
import { describe, expect, test } from 'bun:test';
import { parseArgs, UsageError } from '../src/cli/args.ts';
import { serveOptions } from '../src/cli/serve.ts';
import { progressReporter } from '../src/server/progress.ts';

const opts = (argv: string[], env: Record<string, string> = {}) => serveOptions(parseArgs(argv), env);

describe('serve flags', () => {
  test('defaults: demo model, 127.0.0.1:8080, 4 slots, queue 64', () => {
    expect(opts([])).toMatchObject({ model: null, host: '127.0.0.1', port: 8080, backend: 'auto', parallel: 4, maxQueue: 64, apiKey: undefined, ctx: undefined });
  });
  test('flags win over the environment; the environment fills in', () => {
    expect(opts([], { OSS_EDGE_MODEL: '/m.gguf', OSS_EDGE_API_KEY: 'k' })).toMatchObject({ model: '/m.gguf', apiKey: 'k' });
    expect(opts(['--model', '/x', '--api-key', 'z'], { OSS_EDGE_MODEL: '/m.gguf', OSS_EDGE_API_KEY: 'k' })).toMatchObject({ model: '/x', apiKey: 'z' });
    expect(opts(['--host', '0.0.0.0', '--port', '0', '--threads', '3', '--backend', 'cpu', '--ctx', '2048', '--cors-origin', '*', '--max-queue', '0', '--parallel', '2']))
      .toMatchObject({ host: '0.0.0.0', port: 0, threads: 3, backend: 'cpu', ctx: 2048, corsOrigin: '*', maxQueue: 0, parallel: 2 });
  });
  test('bad values and unknown flags are usage errors', () => {
    for (const argv of [['--port', 'x'], ['--port', '70000'], ['--backend', 'tpu'], ['--parallel', '0'], ['--threads', '-1'], ['--max-queue', '-1'], ['--nope'], ['extra']]) {
      expect(() => opts(argv)).toThrow(UsageError);
    }
  });
});

describe('load progress', () => {
  const p = (bytes: number, tensors: number) => ({ bytes, totalBytes: 2_000_000, tensors, totalTensors: 10, name: 't' });
  test('not a terminal: one line per 10 %', () => {
    const lines: string[] = [];
    const r = progressReporter({ write: (s: string) => lines.push(s), isTTY: false }, 'loading m');
    for (let b = 0; b <= 2_000_000; b += 50_000) r.update(p(b, Math.floor(b / 200_000)));
    r.done();
    expect(lines.length).toBe(11);
    expect(lines[10]).toBe('loading m: 100%  2.0 MB / 2.0 MB  10/10 tensors\n');
  });
  test('a terminal: a redrawn bar, ended by a newline', () => {
    const out: string[] = [];
    const r = progressReporter({ write: (s: string) => out.push(s), isTTY: true }, 'loading m');
    r.update(p(1_000_000, 5));
    r.update(p(2_000_000, 10));
    r.done();
    expect(out[0]).toStartWith('\r\x1b[Kloading m [███████████████░░░░░░░░░░░░░░░] 50%');
    expect(out[1]).toContain('100%');
    expect(out.at(-1)).toBe('\n');
  });
});
