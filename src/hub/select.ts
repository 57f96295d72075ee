// Which files of a repo the engine needs. The same choice runs on the hub's file list (pull) and on
// a cached snapshot's files (serve, list), so what `pull` fetched is what `serve` finds.
//   GGUF repos: one file, named (`:path/x.gguf`), by quant tag (`:Q8_0`, as llama-server's -hf),
//     or by default the first of DEFAULT_QUANTS present (what the loader reads, best first).
//   safetensors repos: config.json, the other top-level .json files (index, tokenizer,
//     generation config) and the top-level .safetensors; not `original/` or `metal/` (OpenAI's
//     duplicate layouts), READMEs or licences. `original/` alone is taken when it is the only copy.

export interface RepoFile { path: string; size: number }

export interface Selection {
  kind: 'gguf' | 'hf';
  /** Repo paths to fetch. */
  files: string[];
  /** The path to load: the .gguf file, or the folder ('' = the repo root). */
  model: string;
  /** Said to the user: how the choice was made, and the other GGUF files there. */
  note?: string;
  /** A GGUF whose quant the loader is not expected to read (K-quants, IQ…). */
  warning?: string;
}

export class SelectError extends Error {}

/** Quant tags whose files the loader reads: MXFP4 experts, F32/F16/BF16/Q8_0 dense (spec §7). */
export const DEFAULT_QUANTS = ['MXFP4', 'Q8_0', 'F16', 'BF16', 'F32'];
const SPLIT = /-(\d{5})-of-(\d{5})\.gguf$/i;
const QUANT = /(?:^|[-_.])((?:UD-)?(?:I?Q\d\w*|MXFP4(?:_MOE)?|BF16|F16|F32))$/i;

const isGguf = (p: string) => /\.gguf$/i.test(p) && !/mmproj/i.test(basename(p));
const basename = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const dirOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');

/** `Q4_K_M` for …/gpt-oss-20b-Q4_K_M.gguf (split suffix ignored); null when the name has none. */
export function quantTag(path: string): string | null {
  return QUANT.exec(basename(path).replace(SPLIT, '.gguf').replace(/\.gguf$/i, ''))?.[1].toUpperCase() ?? null;
}

export function selectFiles(repo: string, all: RepoFile[], want?: string): Selection {
  const ggufs = all.filter((f) => isGguf(f.path)).map((f) => f.path).sort();
  const hf = hfFolders(all);
  if (want !== undefined) {
    const folder = hf.find((d) => d === want);
    if (folder !== undefined) return hfSelection(all, folder);
    const exact = ggufs.filter((p) => p === want || basename(p) === want);
    if (exact.length === 1) return ggufSelection(exact[0], ggufs, `${want} as asked`);
    if (!ggufs.length) throw new SelectError(`${repo} has no file or folder ${want}${hf.length ? ' (it holds safetensors weights: leave out the :FILE part)' : ''}`);
    const tag = want.toUpperCase();
    const tagged = ggufs.filter((p) => quantTag(p) === tag);
    const hits = tagged.length ? tagged : ggufs.filter((p) => basename(p).toUpperCase().includes(tag));
    const names = new Set(hits.map(unsplit));
    if (names.size === 1) return ggufSelection(hits[0], ggufs, `${want} as asked`);
    throw new SelectError(names.size
      ? `${want} matches several files in ${repo}: ${[...names].join(', ')}; name one`
      : `${repo} has no GGUF file matching ${want}; it has ${choices(ggufs)}`);
  }
  if (hf.length) return hfSelection(all, hf[0]);
  if (!ggufs.length) throw new SelectError(`${repo} has neither GGUF files nor a safetensors checkpoint (config.json + .safetensors)`);
  const names = [...new Set(ggufs.map(unsplit))];
  if (names.length === 1) return ggufSelection(ggufs[0], ggufs);
  for (const q of DEFAULT_QUANTS) {
    const hit = ggufs.find((p) => quantTag(p)?.replace(/^UD-/, '').replace(/_MOE$/, '') === q);
    if (hit) return ggufSelection(hit, ggufs, `${q} by default (others: ${names.filter((n) => n !== unsplit(hit)).join(', ')}; choose with ${repo}:QUANT)`);
  }
  throw new SelectError(`${repo} has several GGUF files and none of the quants the loader reads by default (${DEFAULT_QUANTS.join(', ')}): choose one as ${repo}:QUANT from ${choices(ggufs)}`);
}

function ggufSelection(path: string, ggufs: string[], note?: string): Selection {
  if (SPLIT.test(path)) throw new SelectError(`${unsplit(path)} is split into several files (${ggufs.filter((p) => unsplit(p) === unsplit(path)).length}); the loader reads single-file GGUF only: choose another file`);
  const q = quantTag(path);
  const plain = q?.replace(/^UD-/, '').replace(/_MOE$/, '');
  const warning = plain && !DEFAULT_QUANTS.includes(plain)
    ? `${basename(path)} is a ${q} file: the loader reads GGUF with MXFP4 experts and ${DEFAULT_QUANTS.slice(1).join('/')} dense tensors, so it will likely refuse it`
    : undefined;
  return { kind: 'gguf', files: [path], model: path, ...(note ? { note } : {}), ...(warning ? { warning } : {}) };
}

/** Folders holding config.json and .safetensors weights, the top level first, `original/` last. */
function hfFolders(all: RepoFile[]): string[] {
  const dirs = new Set(all.filter((f) => basename(f.path) === 'config.json').map((f) => dirOf(f.path)));
  const withWeights = [...dirs].filter((d) => all.some((f) => dirOf(f.path) === d && f.path.endsWith('.safetensors')));
  return withWeights.sort((a, b) => (a === '' ? -1 : b === '' ? 1 : a === 'original' ? 1 : b === 'original' ? -1 : a.localeCompare(b)));
}

function hfSelection(all: RepoFile[], folder: string): Selection {
  const files = all.map((f) => f.path).filter((p) => dirOf(p) === folder && /\.(json|safetensors)$/.test(p)).sort();
  return { kind: 'hf', files, model: folder, ...(folder ? { note: `the ${folder}/ folder` } : {}) };
}

const unsplit = (p: string) => basename(p).replace(SPLIT, '.gguf');

function choices(ggufs: string[]): string {
  const tags = [...new Set(ggufs.map((p) => quantTag(p) ?? unsplit(p)))];
  return tags.length ? tags.join(', ') : 'no GGUF files';
}
