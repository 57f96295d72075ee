// `pull NAME | REPO[:FILE]`: download a model from Hugging Face into its standard cache
// (src/hub/), then `serve --model NAME` finds it.
import { hubSettings } from '../hub/env.ts';
import { ALIASES, parseModelRef, type ModelRef } from '../hub/names.ts';
import { pull, PullError, type PullResult } from '../hub/pull.ts';
import { int, parseArgs, str, UsageError } from './args.ts';
import { formatBytes, progress } from './progress.ts';

/** Accepted flags; USAGE describes each. */
export const FLAGS = ['revision', 'retries'];
export const USAGE = `usage: npx bun src/cli.ts pull NAME|REPO[:FILE] [--revision REV] [--retries N]
  NAME       ${Object.entries(ALIASES).map(([n, a]) => `${n} (${a.repo}: ${a.about})`).join('\n             ')}
  REPO       a Hugging Face model repo in either format: openai/gpt-oss-20b (safetensors),
             ggml-org/gpt-oss-20b-GGUF; with several GGUF files choose one by quant tag or path:
             unsloth/gpt-oss-20b-GGUF:Q8_0, unsloth/gpt-oss-20b-GGUF:gpt-oss-20b-F16.gguf
  --revision REV  branch, tag or commit (default main)
  --retries N     resume attempts after a dropped connection (default 5)
Files go to Hugging Face's cache (HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub),
shared with \`hf download\`; an interrupted pull resumes where it stopped. HF_TOKEN (or the token
of \`hf auth login\`) for gated or private repos; HF_ENDPOINT for a mirror.`;

export async function run(argv: string[]): Promise<number> {
  let ref: ModelRef, revision: string, retries: number;
  try {
    const a = parseArgs(argv);
    if (a.flags.has('help')) { console.log(USAGE); return 0; }
    for (const f of a.flags.keys()) if (!FLAGS.includes(f)) throw new UsageError(`unknown flag --${f}`);
    if (a.rest.length !== 1) throw new UsageError(a.rest.length ? `one model at a time, got ${a.rest.join(' ')}` : 'which model? e.g. pull gpt-oss-20b');
    const r = parseModelRef(a.rest[0]);
    if (!r) throw new UsageError(`${a.rest[0]} is neither a known name (${Object.keys(ALIASES).join(', ')}) nor a Hugging Face repo (owner/name[:FILE])`);
    ref = r;
    revision = str(a, 'revision', 'main');
    retries = int(a, 'retries', 5);
    if (retries < 0) throw new UsageError('--retries must be ≥ 0');
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`pull: ${e.message}\n${USAGE}`);
    return 2;
  }
  try {
    const r = await pullWithProgress(ref, { revision, retries });
    console.log(r.path);
    return 0;
  } catch (e) {
    if (!(e instanceof PullError)) throw e;
    console.error(`pull: ${e.message}`);
    return 1;
  }
}

/** Pulls with a progress bar on stderr (plain lines without a terminal); shared with serve --pull. */
export async function pullWithProgress(ref: ModelRef, o: { revision?: string; retries?: number } = {}): Promise<PullResult> {
  const log = (line: string) => { process.stderr.write(`${line}\n`); };
  const settings = hubSettings();
  let bar: ReturnType<typeof progress> | null = null, done = 0, total = 0;
  log(`pull: ${ref.repo}${o.revision && o.revision !== 'main' ? `@${o.revision}` : ''} from ${settings.endpoint} into ${settings.cacheDir}`);
  const r = await pull(ref, {
    ...settings, ...o, log,
    progress: {
      start(t) { total = t; if (t > 0) bar = progress(`pull ${ref.name}`); },
      bytes(n, file) { done += n; bar?.update(done, total, file); },
      finish() { bar?.finish(); },
    },
  });
  const fetched = r.files.filter((f) => f.fetched);
  const size = r.files.reduce((n, f) => n + f.size, 0);
  log(fetched.length
    ? `pull: ${ref.name} ready (${r.files.length} files, ${formatBytes(size)}; fetched ${fetched.length}, ${formatBytes(r.fetchedBytes)}) at commit ${r.commit.slice(0, 12)}`
    : `pull: ${ref.name} is already in the cache (${r.files.length} files, ${formatBytes(size)}) at commit ${r.commit.slice(0, 12)}; nothing fetched`);
  log(`serve it with: npx bun run serve -- --model ${ref.name}`);
  return r;
}
