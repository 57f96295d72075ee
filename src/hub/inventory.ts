// What the cache holds that `serve --model NAME` can load, one entry per model (a repo with several
// GGUF files cached gives one per file), each under the name that serves it, and interrupted
// downloads. Written over cache.ts rather than @huggingface/hub's scanCacheDir, which skips files in
// subfolders and fails a whole repo over one dangling ref.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cachedSnapshot, NotDownloadedError, partialBytes, resolveCached, snapshotFiles, type CachedModel } from './cache.ts';
import { aliasOf, parseModelRef } from './names.ts';
import { quantTag, selectFiles, SelectError } from './select.ts';

export interface InventoryEntry {
  name: string;
  repo: string;
  /** Ready to serve, or why not. */
  model?: CachedModel;
  problem?: string;
  /** Bytes of interrupted downloads in the repo. */
  partial: number;
}

export function inventory(cacheDir: string): InventoryEntry[] {
  if (!existsSync(cacheDir)) return [];
  const out: InventoryEntry[] = [];
  for (const folder of readdirSync(cacheDir).filter((f) => f.startsWith('models--')).sort()) {
    const dir = join(cacheDir, folder);
    const repo = folder.slice('models--'.length).split('--').join('/');
    const partial = partialBytes(dir);
    const snap = cachedSnapshot(dir);
    const names = snap ? namesIn(repo, snapshotFiles(snap.path)) : [];
    if (!names.length && partial) out.push({ name: aliasOf(repo) ?? repo, repo, partial, problem: 'interrupted download' });
    for (const name of names) {
      try {
        out.push({ name, repo, partial, model: resolveCached(parseModelRef(name)!, cacheDir) });
      } catch (e) {
        if (!(e instanceof NotDownloadedError)) throw e;
        out.push({ name, repo, partial, problem: e.message });
      }
    }
  }
  return out;
}

/** The names serving what a snapshot holds: the repo (or its short name), or repo:QUANT per GGUF file. */
function namesIn(repo: string, files: { path: string; size: number }[]): string[] {
  const base = aliasOf(repo) ?? repo;
  let whole;
  try {
    whole = selectFiles(repo, files);
  } catch (e) {
    if (!(e instanceof SelectError)) throw e;
  }
  if (!whole) return [];
  if (whole.kind === 'hf') return [base];
  // GGUF: by quant tag (stable when another quant of the repo is pulled later), except for a
  // short name's repo holding just its one file.
  const ggufs = files.map((f) => f.path).filter((p) => /\.gguf$/i.test(p));
  if (ggufs.length === 1 && (aliasOf(repo) || !quantTag(ggufs[0]))) return [base];
  return ggufs.map((p) => `${repo}:${quantTag(p) ?? p}`);
}
