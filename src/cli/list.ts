// `list`: the models in Hugging Face's cache that `serve --model NAME` loads, with their sizes, and
// interrupted downloads (which `pull` resumes).
import { getHFHubCachePath } from '@huggingface/hub';
import { inventory } from '../hub/inventory.ts';
import { pullCommand } from '../hub/names.ts';
import { parseArgs, UsageError } from './args.ts';
import { flagLines, HELP_LINE, type FlagDoc } from './help.ts';
import { formatBytes } from './progress.ts';

const TABLE: FlagDoc[] = [{ flag: 'json', help: 'one JSON array (name, repo, ready, bytes, path, commit, partial_bytes, problem)' }];
export const FLAGS = TABLE.map((f) => f.flag);
export const USAGE = `usage: npx bun src/cli.ts list [--json]
Models in the Hugging Face cache (HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub).
${flagLines([...TABLE, HELP_LINE])}`;

export async function run(argv: string[]): Promise<number> {
  const a = parseArgs(argv);
  try {
    if (a.flags.has('help')) { console.log(USAGE); return 0; }
    for (const f of a.flags.keys()) if (!FLAGS.includes(f)) throw new UsageError(`unknown flag --${f}`);
    if (a.rest.length) throw new UsageError(`unexpected argument ${a.rest[0]}`);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`list: ${e.message}\n${USAGE}`);
    return 2;
  }
  const cacheDir = getHFHubCachePath();
  const entries = inventory(cacheDir);
  if (a.flags.has('json')) {
    console.log(JSON.stringify(entries.map((e) => ({
      name: e.name, repo: e.repo, ready: !!e.model, bytes: e.model?.bytes ?? null, path: e.model?.path ?? null,
      commit: e.model?.commit ?? null, partial_bytes: e.partial, problem: e.problem ?? null,
    })), null, 2));
    return 0;
  }
  if (!entries.length) {
    console.log(`no models in ${cacheDir}; download one with: ${pullCommand('gpt-oss-20b')}`);
    return 0;
  }
  const rows = entries.map((e) => [
    e.name,
    e.model ? formatBytes(e.model.bytes) : '-',
    e.model ? `${e.model.selection.kind === 'gguf' ? 'gguf' : 'hf'} ${e.model.commit.slice(0, 12)}` : '-',
    e.model ? e.model.path : `${e.problem}${e.partial ? ` (${formatBytes(e.partial)} so far): ${pullCommand(e.name)}` : ''}`,
  ]);
  const head = ['NAME', 'SIZE', 'FORMAT COMMIT', 'PATH'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) console.log(r.map((c, i) => (i < r.length - 1 ? c.padEnd(w[i]) : c)).join('  '));
  console.log(`\nserve one with: npx bun run serve -- --model NAME   (cache: ${cacheDir})`);
  return 0;
}
