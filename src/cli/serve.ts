// `serve [--model PATH|NAME] [--host H] [--port P] …`: the OpenAI-compatible HTTP server and chat
// page (src/server/), assembled by src/boot/service.ts. Without --model (or OSS_EDGE_MODEL) it
// serves the demo checkpoint; a NAME is looked up in the Hugging Face cache (model-arg.ts).
import { startService, type ServiceOptions } from '../boot/service.ts';
import { PullError } from '../hub/pull.ts';
import { DEFAULT_LOG_FORMAT, LOG_FORMATS, type LogFormat } from '../server/access-log.ts';
import { ID_TAG } from '../server/ids.ts';
import { LIMIT_FLAGS, type Limits } from '../server/limits.ts';
import { STORE_DEFAULTS } from '../server/responses/store.ts';
import type { Runtime } from '../server/runtime.ts';
import { int, parseArgs, str, UsageError, type Parsed } from './args.ts';
import { ENGINE_FLAGS, engineFlags, engineHelp } from './engine-flags.ts';
import { ModelArgError, resolveModelArg } from './model-arg.ts';
import { progress } from './progress.ts';

export const USAGE = `usage: bun run serve [flags]
  --model PATH|NAME   gpt-oss checkpoint: a .gguf file or an HF folder, or a model downloaded with
                      \`pull\`: gpt-oss-20b, owner/repo[:FILE] (env OSS_EDGE_MODEL);
                      none: the demo checkpoint (random weights)
  --pull              download --model NAME first when it is not in the cache
  --host HOST         address to bind (default 127.0.0.1)
  --port N            port (default 8080; 0 picks a free one)
${engineHelp()}
  --parallel N        concurrent generations, each with its own K/V cache (default 4)
  --max-queue N       requests waiting for a slot before 429 (default 64)
  --cache-ram MIB     conversations' K/V kept beyond the slots, so a returning conversation
                      prefills only its new tail (default 1024; 0: off)
  --api-key KEY       require Authorization: Bearer KEY (env OSS_EDGE_API_KEY); an empty key is
                      refused at start, never taken as "no key"
  --cors-origin O     allow browsers from origin O (comma-separated, or *)
  --no-ui             no chat page at / (the API only)
  --alias NAME        another model name clients may send (repeatable; a gpt-oss-20b checkpoint
                      also answers to gpt-oss-20b, gpt-oss:20b and openai/gpt-oss-20b)
  --log-format F      access log on stderr, one line per request (method, path, status, ms, tokens
                      in/out): ${LOG_FORMATS.join(' | ')} (default ${DEFAULT_LOG_FORMAT})
  --reasoning-budget N  analysis tokens before the answer is forced open (default -1: unlimited;
                      0: no reasoning); a request's reasoning_budget overrides it
  --responses-max-mb N  stored responses (/v1/responses, store: true) kept within N MiB, least
                      recently used dropped first (default ${STORE_DEFAULTS.maxMb}; 0: none kept)
  --responses-max-age S  stored responses older than S seconds are gone (default ${STORE_DEFAULTS.maxAgeSeconds}: 30 days)
  --responses-dir DIR  keep stored responses as DIR/{id}.json (they survive a restart) instead of in memory
  --responses-unsupported-tools reject|ignore  a Responses request offering a tool the server
                      cannot run (web_search, file_search, code_interpreter, …): 400 (default), or
                      the tool dropped and named in a Warning header
  --replica-id TAG    one replica of several behind a load balancer (deploy/run.ts): X-Replica: TAG
                      on every response, TAG inside the ids it mints (letters and digits)
request limits (past one: 400, 413 or 431 naming the limit and its flag):
${LIMIT_FLAGS.map((f) => `  ${`--${f.flag} ${f.unit}`.padEnd(26)}${f.help} (default ${f.default})`).join('\n')}`;

export const FLAGS = new Set<string>(['model', 'host', 'port', ...ENGINE_FLAGS, 'parallel', 'max-queue', 'cache-ram', 'api-key', 'cors-origin', 'pull', 'no-ui',
  'alias', 'reasoning-budget', 'log-format', 'responses-max-mb', 'responses-max-age', 'responses-dir', 'responses-unsupported-tools', 'replica-id', 'help', ...LIMIT_FLAGS.map((f) => f.flag)]);

export function serveOptions(a: Parsed, env: Record<string, string | undefined>): ServiceOptions {
  for (const f of a.flags.keys()) if (!FLAGS.has(f)) throw new UsageError(`unknown flag --${f}`);
  if (a.rest.length) throw new UsageError(`unexpected argument ${a.rest[0]}`);
  const positive = (name: string, fallback: number, min = 1) => {
    const n = int(a, name, fallback);
    if (n < min) throw new UsageError(`--${name} must be at least ${min}, got ${n}`);
    return n;
  };
  const port = positive('port', 8080, 0);
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
  return {
    model: str(a, 'model', env.OSS_EDGE_MODEL ?? '') || null,
    engine: engineFlags(a),
    host: str(a, 'host', '127.0.0.1'),
    port,
    parallel: positive('parallel', 4),
    maxQueue: positive('max-queue', 64, 0),
    promptCacheBytes: positive('cache-ram', 1024, 0) * 2 ** 20,
    apiKey: apiKeyOf(a, env),
    corsOrigin: str(a, 'cors-origin', '') || undefined,
    limits: Object.fromEntries(LIMIT_FLAGS.map((f) => [f.key, positive(f.flag, f.default, f.min)])) as unknown as Limits,
    ui: a.flags.get('no-ui') !== true,
    aliases: aliases(a),
    reasoningBudget: positive('reasoning-budget', -1, -1),
    logFormat: logFormat(a),
    responsesMaxBytes: positive('responses-max-mb', STORE_DEFAULTS.maxMb, 0) * 2 ** 20,
    responsesMaxAgeSeconds: positive('responses-max-age', STORE_DEFAULTS.maxAgeSeconds),
    responsesDir: str(a, 'responses-dir', '') || null,
    responsesUnsupportedTools: unsupportedTools(a),
    ...replicaIdOf(a),
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

function replicaIdOf(a: Parsed): { replicaId?: string } {
  const tag = a.flags.get('replica-id');
  if (tag === undefined) return {};
  if (tag === true || !ID_TAG.test(tag)) throw new UsageError(`--replica-id needs a tag of 1 to 32 letters and digits, got ${tag === true ? 'nothing' : JSON.stringify(tag)}`);
  return { replicaId: tag };
}

function logFormat(a: Parsed): LogFormat {
  const f = str(a, 'log-format', DEFAULT_LOG_FORMAT);
  if (!(LOG_FORMATS as readonly string[]).includes(f)) throw new UsageError(`--log-format must be ${LOG_FORMATS.join(', ')}, got ${f}`);
  return f as LogFormat;
}

function unsupportedTools(a: Parsed): 'reject' | 'ignore' {
  const v = str(a, 'responses-unsupported-tools', 'reject');
  if (v !== 'reject' && v !== 'ignore') throw new UsageError(`--responses-unsupported-tools must be reject or ignore, got ${JSON.stringify(v)}`);
  return v;
}

function aliases(a: Parsed): string[] {
  if (a.flags.get('alias') === true) throw new UsageError('--alias needs a name');
  const names = a.all.get('alias') ?? [];
  const bad = names.find((n) => !/^\S{1,256}$/.test(n));
  if (bad !== undefined) throw new UsageError(`--alias must be a name without spaces, got ${JSON.stringify(bad)}`);
  return names;
}

export async function run(argv: string[], runtime?: Runtime): Promise<number> {
  let o: ServiceOptions, pullFlag: boolean;
  try {
    const a = parseArgs(argv);
    if (a.flags.has('help')) { console.log(USAGE); return 0; }
    o = serveOptions(a, process.env);
    pullFlag = a.flags.get('pull') === true;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`serve: ${e.message}\n${USAGE}`);
    return 2;
  }
  try {
    const m = await resolveModelArg(o.model, { pull: pullFlag });
    o = { ...o, model: m.path, ...(m.id ? { modelId: m.id } : {}) };
  } catch (e) {
    if (!(e instanceof ModelArgError) && !(e instanceof PullError)) throw e;
    console.error(`serve: ${e.message}`);
    return 1;
  }
  const rt = runtime ?? (await currentRuntime());
  let server;
  try {
    const bar = progress(`loading ${o.model ?? 'the demo checkpoint'}`);
    server = await startService(o, rt, {
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
  if ('Deno' in globalThis) return (await import('../server/runtime.deno.ts')).denoRuntime;
  return (await import('../server/runtime.bun.ts')).bunRuntime;
}
