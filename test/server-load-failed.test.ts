// A model that fails to load (a GGUF file cut short): the server stays up and answers every API
// call 503 model_load_failed in OpenAI's error shape, naming the file and the problem, with no
// Retry-After (retrying will not help); /health says failed.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startService } from '../src/boot/service.ts';
import { bunRuntime } from '../src/server/runtime.bun.ts';
import type { RunningServer } from '../src/server/start.ts';
import { tempDir } from './helpers/model-files.ts';
import { TINY } from './helpers/server.ts';

const tmp = tempDir('load-failed');
const BROKEN = join(tmp.dir, 'broken.gguf');
let srv: RunningServer, loadError: unknown;

beforeAll(async () => {
  const whole = readFileSync(TINY);
  writeFileSync(BROKEN, whole.subarray(0, whole.length - 1000)); // the last tensors' data is missing
  srv = await startService({ model: BROKEN, host: '127.0.0.1', port: 0, parallel: 1, maxQueue: 1, engine: { threads: 1, backend: 'cpu' } }, bunRuntime, { log: () => {} });
  loadError = await srv.ready.then(() => null, (e) => e);
});
afterAll(async () => {
  await srv?.stop();
  tmp.cleanup();
});

describe('a model that fails to load', () => {
  test('the load rejects naming the file', () => {
    expect(loadError).toBeInstanceOf(Error);
    expect((loadError as Error).message).toContain(BROKEN);
    expect((loadError as Error).message).toContain('truncated');
    expect(srv.host.status).toBe('failed');
  });

  test('every API call: 503 model_load_failed in the error shape, with the reason; no Retry-After', async () => {
    const calls: [string, RequestInit][] = [
      ['/v1/chat/completions', { method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], stream: true }) }],
      ['/v1/completions', { method: 'POST', body: JSON.stringify({ prompt: 'hi' }) }],
      ['/v1/models', {}],
      ['/v1/models/broken', {}],
    ];
    for (const [path, init] of calls) {
      const r = await fetch(`${srv.url}${path}`, { ...init, headers: { 'Content-Type': 'application/json' } });
      expect([path, r.status]).toEqual([path, 503]);
      expect(r.headers.get('retry-after')).toBeNull();
      const { error } = await r.json();
      expect(Object.keys(error).sort()).toEqual(['code', 'message', 'param', 'type']);
      expect(error).toMatchObject({ type: 'server_error', code: 'model_load_failed', param: null });
      expect(error.message).toStartWith('the model failed to load: ');
      expect(error.message).toContain((loadError as Error).message);
      expect(error.message).not.toContain('    at ');
    }
  });

  test('/health: 503, status failed, the same error', async () => {
    const r = await fetch(`${srv.url}/health`);
    expect(r.status).toBe(503);
    const body = await r.json();
    expect(body).toMatchObject({ status: 'failed', error: { code: 'model_load_failed' } });
    expect(body.error.message).toContain(BROKEN);
  });
});
