// `serve` flags and environment.
import { describe, expect, test } from 'bun:test';
import { parseArgs, UsageError } from '../src/cli/args.ts';
import { serveOptions } from '../src/cli/serve.ts';

const opts = (argv: string[], env: Record<string, string> = {}) => serveOptions(parseArgs(argv), env);

describe('serve flags', () => {
  test('defaults: demo model, 127.0.0.1:8080, 4 slots, queue 64', () => {
    expect(opts([])).toMatchObject({ model: null, host: '127.0.0.1', port: 8080, engine: {}, parallel: 4, maxQueue: 64, apiKey: undefined });
  });
  test('flags win over the environment; the environment fills in', () => {
    expect(opts([], { OSS_EDGE_MODEL: '/m.gguf', OSS_EDGE_API_KEY: 'k' })).toMatchObject({ model: '/m.gguf', apiKey: 'k' });
    expect(opts(['--model', '/x', '--api-key', 'z'], { OSS_EDGE_MODEL: '/m.gguf', OSS_EDGE_API_KEY: 'k' })).toMatchObject({ model: '/x', apiKey: 'z' });
    expect(opts(['--host', '0.0.0.0', '--port', '0', '--threads', '3', '--backend', 'cpu', '--ctx', '2048', '--cors-origin', '*', '--max-queue', '0', '--parallel', '2']))
      .toMatchObject({ host: '0.0.0.0', port: 0, engine: { threads: 3, backend: 'cpu', context: 2048 }, corsOrigin: '*', maxQueue: 0, parallel: 2 });
  });
  test('--threads: up to 64, the CPU pool\'s most (65 is a usage error below)', () => {
    expect(opts(['--threads', '64'])).toMatchObject({ engine: { threads: 64 } });
  });
  test('--replica-id TAG: letters and digits (the `_` after it ends the tag inside an id)', () => {
    expect(opts(['--replica-id', 'R2d2'])).toMatchObject({ replicaId: 'R2d2' });
    expect(opts([])).not.toHaveProperty('replicaId');
  });
  test('bad values and unknown flags are usage errors', () => {
    for (const argv of [['--replica-id'], ['--replica-id', 'r_1'], ['--replica-id', 'r-1'], ['--replica-id', 'a b'], ['--replica-id', 'x'.repeat(33)], ['--port', 'x'], ['--port', '70000'], ['--backend', 'tpu'], ['--parallel', '0'], ['--threads', '-1'], ['--threads', '65'], ['--max-queue', '-1'], ['--nope'], ['extra']]) {
      expect(() => opts(argv)).toThrow(UsageError);
    }
  });
});
