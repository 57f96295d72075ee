// `serve [--model PATH] [--host H] [--port P] …`: the OpenAI-compatible HTTP server (src/server/).
// Without --model (or OSS_EDGE_MODEL) it serves the demo checkpoint.
import type { BackendChoice } from '../generate/index.ts';
import { LIMIT_FLAGS, type Limits } from '../server/limits.ts';
import type { Runtime } from '../server/runtime.ts';
import { startServer, type ServerOptions } from '../server/start.ts';
import { int, parseArgs, str, UsageError, type Parsed } from './args.ts';
import { progress } from './progress.ts';

export const USAGE = `usage: bun run serve [flags]
  --model PATH        gpt-oss checkpoint: a .gguf file or an HF folder (env OSS_EDGE_MODEL);
                      none: the demo checkpoint (random weights)
  --host HOST         address to bind (default 127.0.0.1)
  --port N            port (default 8080; 0 picks a free one)
  --threads N         CPU threads (default: all cores)
  --backend B         auto | cpu | webgpu (default auto)
  --precision P       fast | exact (default fast: 8-bit activations in the MXFP4/Q8_0 products)
  --dense-q8          re-quantise bf16/f16/f32 weight matrices to Q8_0 at load (half the bytes)
  --ctx N             context length per slot (default 4096)
  --parallel N        concurrent generations, each with its own K/V cache (default 4)
  --max-queue N       requests waiting for a slot before 429 (default 64)
  --api-key KEY       require Authorization: Bearer KEY (env OSS_EDGE_API_KEY); an empty key is
                      refused at start, never taken as "no key"
  --cors-origin O     allow browsers from origin O (comma-separated, or *)
request limits (past one: 400, 413 or 431 naming the limit and its flag):
${LIMIT_FLAGS.map((f) => `  ${`--${f.flag} ${f.unit}`.padEnd(26)}${f.help} (default ${f.default})`).join('\n')}`;

const FLAGS = new Set(['model', 'host', 'port', 'threads', 'backend', 'precision', 'dense-q8', 'ctx', 'parallel', 'max-queue', 'api-key', 'cors-origin', 'help', ...LIMIT_FLAGS.map((f) => f.flag)]);

export function serveOptions(a: Parsed, env: Record<string, string | undefined>): ServerOptions {
  for (const f of a.flags.keys()) if (!FLAGS.has(f)) throw new UsageError(`unknown flag --${f}`);
  if (a.rest.length) throw new UsageError(`unexpected argument ${a.rest[0]}`);
  const backend = str(a, 'backend', 'auto');
  if (!['auto', 'cpu', 'webgpu'].includes(backend)) throw new UsageError(`--backend must be auto, cpu or webgpu, got ${backend}`);
  const precision = str(a, 'precision', 'fast');
  if (precision !== 'fast' && precision !== 'exact') throw new UsageError(`--precision must be fast or exact, got ${precision}`);
  const positive = (name: string, fallback: number, min = 1) => {
    const n = int(a, name, fallback);
    if (n < min) throw new UsageError(`--${name} must be at least ${min}, got ${n}`);
    return n;
  };
  const port = positive('port', 8080, 0);
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
  return {
    model: str(a, 'model', env.OSS_EDGE_MODEL ?? '') || null,
    host: str(a, 'host', '127.0.0.1'),
    port,
    threads: a.flags.has('threads') ? positive('threads', 1) : undefined,
    backend: backend as BackendChoice,
    precision,
    denseQ8: a.flags.get('dense-q8') === true,
    ctx: a.flags.has('ctx') ? positive('ctx', 4096, 2) : undefined,
    parallel: positive('parallel', 4),
    maxQueue: positive('max-queue', 64, 0),
    apiKey: apiKeyOf(a, env),
    corsOrigin: str(a, 'cors-origin', '') || undefined,
    limits: Object.fromEntries(LIMIT_FLAGS.map((f) => [f.key, positive(f.flag, f.default, f.min)])) as unknown as Limits,
  };
}

/**
 * The API key, or undefined when none was asked for. Asked for but empty — `--api-key=`,
 * `--api-key` last or before another flag (what `--api-key $UNSET` becomes), or OSS_EDGE_API_KEY
 * set to '' — is a usage error: a server told to require a key must not start open.
 */
function apiKeyOf(a: Parsed, env: Record<string, string | undefined>): string | undefined {
  const flag = a.flags.get('api-key');
  const key = flag !== undefined ? flag : env.OSS_EDGE_API_KEY;
  const from = flag !== undefined ? '--api-key' : 'OSS_EDGE_API_KEY';
  if (key === undefined) return undefined;
  if (key === true || key === '') throw new UsageError(`${from} is empty: give the key (\`--api-key KEY\`), or leave ${from} out to serve without one`);
  if (/[\s\x00-\x1f\x7f]/.test(key)) throw new UsageError(`${from} contains whitespace or control characters, which an Authorization header cannot carry intact`);
  return key;
}

export async function run(argv: string[], runtime?: Runtime): Promise<number> {
  let o: ServerOptions;
  try {
    const a = parseArgs(argv);
    if (a.flags.has('help')) { console.log(USAGE); return 0; }
    o = serveOptions(a, process.env);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`serve: ${e.message}\n${USAGE}`);
    return 2;
  }
  const rt = runtime ?? (await currentRuntime());
  let server;
  try {
    const bar = progress(`loading ${o.model ?? 'the demo checkpoint'}`);
    server = await startServer(o, rt, {
      progress: { update: (p) => bar.update(p.bytes, p.totalBytes, `${p.tensors}/${p.totalTensors} tensors`), finish: () => bar.finish() },
    });
  } catch (e) {
    console.error(`serve: cannot listen on ${o.host}:${o.port}: ${(e as Error).message}`);
    return 1;
  }
  try {
    await server.ready;
  } catch (e) {
    console.error(`serve: cannot load the model: ${(e as Error).message}`);
    await server.stop();
    return 1;
  }
  await new Promise<void>((resolve) => rt.onShutdown(resolve));
  console.error('serve: shutting down');
  await server.stop();
  return 0;
}

/** The one place that asks which runtime this is. */
async function currentRuntime(): Promise<Runtime> {
  if ('Deno' in globalThis) return (await import('../server/serve.deno.ts')).denoRuntime;
  return (await import('../server/serve.bun.ts')).bunRuntime;
}
