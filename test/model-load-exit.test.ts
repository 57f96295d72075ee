// A load error ends the process (issue 11): with worker threads started (--threads 2) an error
// found while filling weights, or by the first forward pass, used to leave `eval` and `serve`
// alive forever. Each process here gets a generous 60 s budget to exit; a healthy run exits in
// well under a second.
import { afterAll, describe, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCpuBackend } from '../src/backends/cpu/cpu-backend.ts';
import { Engine } from '../src/engine/engine.ts';
import { ModelLoadError } from '../src/model/types.ts';
import { bunRuntime } from '../src/server/runtime.bun.ts';
import { startService } from '../src/boot/service.ts';
import { GOLDEN } from './helpers/golden.ts';
import { ggufLayout } from './helpers/gguf-layout.ts';
import { tempDir } from './helpers/model-files.ts';

const ROOT = join(import.meta.dir, '..');
const CLI = join(ROOT, 'src', 'cli.ts');
const PROMPT = join(GOLDEN, 'tiny-a', 'prompt.json');
const EXIT_BUDGET_MS = 60_000;
/** bun:test's own limit per test, above the exit budget so the budget's message is what fails. */
const TEST_MS = EXIT_BUDGET_MS + 30_000;

const tmp = tempDir('load-exit');
afterAll(tmp.cleanup);
const golden = new Uint8Array(readFileSync(join(GOLDEN, 'tiny-a', 'model.gguf')));
const layout = ggufLayout(golden);
const dataOf = (name: string) => {
  const t = layout.infos.find((i) => i.name === name)!;
  return { at: layout.dataOffset + t.rel, t };
};

/** Damage found while filling (workers already started): an MXFP4 scale byte 255 in a down projection. */
const scale255 = (() => {
  const b = golden.slice();
  b[dataOf('blk.1.ffn_down_exps.weight').at + 17 * 3] = 255;
  const p = join(tmp.dir, 'scale255.gguf');
  writeFileSync(p, b);
  return p;
})();

/**
 * Damage only the first forward pass finds: every weight finite and below 2^64, but the final
 * norm and the unembedding scaled up so far that the logits overflow f32.
 */
const overflow = (() => {
  const b = golden.slice();
  const dv = new DataView(b.buffer);
  for (const name of ['output_norm.weight', 'output.weight']) {
    const { at, t } = dataOf(name);
    for (let i = 0; i < t.byteSize / 4; i++) dv.setFloat32(at + 4 * i, 1e19, true);
  }
  const p = join(tmp.dir, 'overflow.gguf');
  writeFileSync(p, b);
  return p;
})();

/** Runs a command; fails the test if it has not exited within the budget (and kills it). */
async function exitOf(cmd: string[]): Promise<{ code: number; stderr: string }> {
  const p = Bun.spawn(cmd, { cwd: ROOT, stdout: 'ignore', stderr: 'pipe' });
  const stderr = new Response(p.stderr).text(); // read as it comes: the pipe closes when the process ends
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<'hung'>((r) => { timer = setTimeout(() => r('hung'), EXIT_BUDGET_MS); });
  const code = await Promise.race([p.exited, hung]);
  clearTimeout(timer);
  if (code === 'hung') {
    p.kill('SIGKILL');
    throw new Error(`${cmd.join(' ')} did not exit within ${EXIT_BUDGET_MS / 1000} s after:\n${await stderr}`);
  }
  return { code, stderr: await stderr };
}

describe('in process', () => {
  test('fill-time damage: Model.load throws the ModelLoadError and releases its worker threads', async () => {
    let err: unknown;
    await Engine.load(scale255, { precision: 'exact', threads: 2, context: 16 }, createCpuBackend).catch((e) => { err = e; });
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as Error).message).toContain('blk.1.ffn_down_exps.weight');
    expect((err as Error).message).toMatch(/block 3 has scale byte 255/);
  });

  test('the first forward pass: non-finite logits are a ModelLoadError naming the step and its weights', async () => {
    let err: unknown;
    await Engine.load(overflow, { precision: 'exact', threads: 1, context: 16 }, createCpuBackend).catch((e) => { err = e; });
    expect(err).toBeInstanceOf(ModelLoadError);
    const e = err as ModelLoadError;
    expect(e.file).toBe(overflow);
    expect(e.tensor).toBe('output.weight');
    expect(e.problem).toMatch(/first forward pass .* NaN or infinite: the checkpoint is damaged/);
    expect(e.problem).toContain('logits, computed from unembed');
  });

  test('serve: /health answers 503 model_load_failed with the error once the load failed', async () => {
    const s = await startService({ model: scale255, host: '127.0.0.1', port: 0, engine: { threads: 2, backend: 'cpu' }, parallel: 1, maxQueue: 1 }, bunRuntime, { log: () => {} });
    try {
      await expect(s.ready).rejects.toBeInstanceOf(ModelLoadError);
      const r = await fetch(`${s.url}/health`);
      expect(r.status).toBe(503);
      const body = await r.json();
      expect(body.status).toBe('failed');
      expect(body.error.code).toBe('model_load_failed');
      expect(body.error.message).toContain('blk.1.ffn_down_exps.weight');
    } finally {
      await s.stop();
    }
  });
});

describe('as a process, --threads 2', () => {
  for (const [what, file, tensor] of [['a bad MXFP4 scale', scale255, 'blk.1.ffn_down_exps.weight'], ['overflowing logits', overflow, 'output.weight']] as const) {
    test(`eval exits 1 on ${what}, naming the tensor`, async () => {
      const r = await exitOf([process.execPath, CLI, 'eval', '--model', file, '--prompt', PROMPT, '--out', join(tmp.dir, 'out'), '--threads', '2']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`eval: ${file}: tensor ${tensor}:`);
    }, TEST_MS);

    test(`serve exits 1 on ${what}, naming the tensor`, async () => {
      const r = await exitOf([process.execPath, CLI, 'serve', '--model', file, '--port', '0', '--threads', '2', '--backend', 'cpu']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`serve: cannot load the model: ${file}: tensor ${tensor}:`);
    }, TEST_MS);
  }

  /** A script running matmul_f32_f32 over 64 rows on 2 threads, `inside` of them inside the memory; its stderr. */
  async function trapRun(name: string, inside: number): Promise<{ code: number; stderr: string }> {
    const script = join(tmp.dir, `${name}.ts`);
    const cpu = join(ROOT, 'src', 'backends', 'cpu');
    writeFileSync(script, `import { Arena } from ${JSON.stringify(join(cpu, 'arena.ts'))};
import { Pool } from ${JSON.stringify(join(cpu, 'pool.ts'))};
const a = new Arena(0, 1 << 16);
const pool = new Pool(2);
await pool.attach([a]);
const nIn = 32, nOut = 64;
const x = a.alloc(nIn * 4), y = a.alloc(nOut * 4);
const w = a.memory.buffer.byteLength - ${inside} * nIn * 4;
try {
  pool.run(0, 'matmul_f32_f32', [w, x, y, nIn, nOut, 1], nOut);
  console.error('no error');
} catch (e) {
  console.error('caught: ' + e.message);
}
pool.close();
`);
    return exitOf([process.execPath, script]);
  }

  test('a kernel that traps in any thread is an error on the dispatching thread, not a wait forever', async () => {
    // rows 32..63 past the end: whichever thread takes those chunks traps
    const r = await trapRun('trap-half', 32);
    expect(r.stderr).toMatch(/caught: cpu kernel matmul_f32_f32 failed (on the calling thread \(.+\)|in a worker thread|on the calling thread \(.+\) and in a worker thread): part of its result is missing/);
    expect(r.code).toBe(0);
  }, TEST_MS);

  test('every row trapping: the calling thread stops at its first chunk, the worker traps on the next, both are reported', async () => {
    const r = await trapRun('trap-all', 0);
    expect(r.stderr).toMatch(/caught: cpu kernel matmul_f32_f32 failed on the calling thread \(.+\) and in a worker thread: part of its result is missing/);
    expect(r.code).toBe(0);
  }, TEST_MS);

  test('a script that catches the load error and returns exits by itself (no worker holds the event loop)', async () => {
    const script = join(tmp.dir, 'catch.ts');
    writeFileSync(script, `import { Engine } from ${JSON.stringify(join(ROOT, 'src', 'engine', 'engine.ts'))};
import { createCpuBackend } from ${JSON.stringify(join(ROOT, 'src', 'backends', 'cpu', 'cpu-backend.ts'))};
await Engine.load(${JSON.stringify(scale255)}, { precision: 'exact', threads: 2 }, createCpuBackend).catch((e) => console.error('caught', e.name));\n`);
    const r = await exitOf([process.execPath, script]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('caught ModelLoadError');
  }, TEST_MS);
});
