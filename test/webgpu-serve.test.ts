// End to end on the WebGPU backend: `--backend auto` on a machine whose adapter is a GPU chooses
// WebGPU, and the HTTP server answers from it. The probe is the real one (Bun → the Deno child →
// the machine's adapter, lavapipe in CI) with its adapter presented as hardware, so `auto` takes
// the GPU path it takes on a real GPU and opens a real WebGPU backend. Greedy replies over HTTP
// must be that engine's own greedy ids; its logits must match the CPU engine's (exact tier).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { openServedModel } from '../src/boot/open-model.ts';
import type { Probe } from '../src/boot/backend-choice.ts';
import { probeRemote } from '../src/backends/remote/remote-backend.ts';
import { chatStopIds, type LoadedModel } from '../src/generate/index.ts';
import { HarmonyParser, renderChat } from '../src/harmony/index.ts';
import { bunRuntime } from '../src/server/runtime.bun.ts';
import { startServer, type RunningServer } from '../src/server/start.ts';
import { compareRows } from './helpers/golden.ts';
import { greedyIds, TINY } from './helpers/server.ts';
import { gpuTests } from './helpers/webgpu.ts';

const run = gpuTests('WebGPU served over HTTP');
const GPU = 'Test GPU (the real adapter, presented as hardware)';
// Cold pipelines on a software rasteriser: seconds to a minute on a busy 2-core machine. The
// limit only stops a hang.
const HANG = 600_000;

describe.skipIf(!run)('auto → WebGPU → HTTP', () => {
  let srv: RunningServer, gpu: LoadedModel, cpu: LoadedModel;
  const probed: string[] = [];

  /** The runtime's probe, its adapters relabelled as a GPU: everything else (open, dispose) is real. */
  async function hardwareProbe(): Promise<Probe> {
    const real = await probeRemote();
    probed.push(...real.adapters.map((a) => a.description));
    return {
      adapters: real.adapters.map((a) => ({ ...a, description: GPU, vendor: 'test', isFallbackAdapter: false })),
      why: real.why, open: (i) => real.open(i), dispose: () => real.dispose(),
    };
  }

  beforeAll(async () => {
    [srv, cpu] = await Promise.all([
      startServer({ host: '127.0.0.1', port: 0, parallel: 1, maxQueue: 4 }, bunRuntime, {
        log: () => {}, open: (p) => openServedModel(TINY, { backend: 'auto', precision: 'exact', threads: 1, context: 512 }, p, { probe: hardwareProbe }),
      }),
      openServedModel(TINY, { backend: 'cpu', precision: 'exact', threads: 1, context: 512 }),
    ]);
    gpu = (await srv.ready).model;
  }, HANG);
  afterAll(async () => {
    await srv?.stop();
    cpu?.release();
  });

  const post = (path: string, body: object) => fetch(`${srv.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  test('auto probed the real adapter and chose WebGPU on it', async () => {
    expect(probed).toHaveLength(1);
    expect(gpu.backend.name).toBe('webgpu');
    expect(gpu.backend.reason).toBe(`auto: GPU adapter ${GPU}`);
    expect(await (await fetch(`${srv.url}/health`)).json()).toMatchObject({ status: 'ok', model: 'tiny-a' });
  }, HANG);

  test('the WebGPU engine computes what the CPU engine does (exact: max |d| ≤ 1e-3), same greedy ids', async () => {
    const prompt = renderChat(cpu.tokenizer, { messages: [{ role: 'user', content: 'Hello from the GPU.' }] }).ids;
    const rows = await Promise.all([gpu, cpu].map((m) => m.model.newSession(prompt.length + 1).eval(prompt, 'last')));
    expect(compareRows(rows[0].subarray(0, gpu.limit), rows[1].subarray(0, cpu.limit), gpu.limit).max).toBeLessThanOrEqual(1e-3);
    const stops = chatStopIds(cpu.tokenizer);
    expect(await greedyIds(gpu, prompt, 24, stops)).toEqual(await greedyIds(cpu, prompt, 24, stops));
  }, HANG);

  test('chat over HTTP at temperature 0 = the WebGPU engine\'s greedy ids through the harmony parser', async () => {
    const messages = [{ role: 'user' as const, content: 'Hello from the GPU.' }];
    const prompt = renderChat(gpu.tokenizer, { messages }).ids;
    const ids = await greedyIds(gpu, prompt, 24, chatStopIds(gpu.tokenizer));
    const p = new HarmonyParser(gpu.tokenizer, { role: 'assistant' });
    const events = [...p.push(ids), ...p.finish(ids.length === 24 ? 'length' : 'stop')];
    const text = (type: string) => events.map((e) => (e.type === type && 'delta' in e ? e.delta : '')).join('');
    const r = await post('/v1/chat/completions', { messages, temperature: 0, max_tokens: 24 });
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body.choices[0].message.content ?? '').toBe(text('content') + text('preamble'));
    expect(body.choices[0].message.reasoning_content ?? '').toBe(text('reasoning'));
    expect(body.usage).toMatchObject({ prompt_tokens: prompt.length, completion_tokens: ids.length });
  }, HANG);

  test('a streamed completion over HTTP = the WebGPU engine\'s greedy continuation', async () => {
    const prompt = [504, 253, 271, 145, 182];
    const ids = await greedyIds(gpu, prompt, 12, new Set([500, 497]));
    const r = await post('/v1/completions', { prompt, max_tokens: 12, temperature: 0, stream: true });
    const text = (await r.text()).split('\n\n').filter((f) => f.startsWith('data: {')).map((f) => JSON.parse(f.slice(6)).choices[0]?.text ?? '').join('');
    expect(text).toBe(gpu.tokenizer.decode(ids.filter((id) => id !== 500 && id !== 497)));
  }, HANG);
});
