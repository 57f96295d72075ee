// Hugging Face's cache layout, read offline (what `serve --model NAME` and `list` need), as
// huggingface_hub and @huggingface/hub write it:
//   <cache>/models--owner--name/blobs/<etag>             file contents (LFS files: etag = SHA-256)
//   <cache>/models--owner--name/blobs/<etag>.incomplete  a download in progress (never served)
//   <cache>/models--owner--name/snapshots/<commit>/<path> → ../../blobs/<etag> (relative symlink)
//   <cache>/models--owner--name/refs/main                the commit `main` pointed to
// A snapshot link appears only after its blob is complete and verified, so whatever a snapshot
// holds is whole; a model is served only when every file it needs is there.
import { getRepoFolderName } from '@huggingface/hub';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pullCommand, type ModelRef } from './names.ts';
import { selectFiles, SelectError, type RepoFile, type Selection } from './select.ts';

export const COMMIT = /^[0-9a-f]{40}$/;

export function repoDir(cacheDir: string, repo: string): string {
  return join(cacheDir, getRepoFolderName({ type: 'model', name: repo }));
}

/** The snapshot `revision` names: refs/<revision>, the commit itself, else the newest snapshot. */
export function cachedSnapshot(dir: string, revision = 'main'): { commit: string; path: string } | null {
  const snaps = join(dir, 'snapshots');
  if (!existsSync(snaps)) return null;
  const ref = join(dir, 'refs', revision);
  let commit = COMMIT.test(revision) ? revision : existsSync(ref) ? readFileSync(ref, 'utf8').trim() : null;
  if (commit === null) {
    const newest = readdirSync(snaps).filter((c) => COMMIT.test(c)).map((c) => ({ c, t: statSync(join(snaps, c)).mtimeMs })).sort((a, b) => b.t - a.t)[0];
    commit = newest?.c ?? null;
  }
  return commit && existsSync(join(snaps, commit)) ? { commit, path: join(snaps, commit) } : null;
}

/** Files of a snapshot (recursively, following the links; a dangling link is not a file). */
export function snapshotFiles(root: string, sub = ''): RepoFile[] {
  const out: RepoFile[] = [];
  for (const name of readdirSync(join(root, sub))) {
    const rel = sub ? `${sub}/${name}` : name;
    let st;
    try { st = statSync(join(root, rel)); } catch { continue; }
    if (st.isDirectory()) out.push(...snapshotFiles(root, rel));
    else out.push({ path: rel, size: st.size });
  }
  return out;
}

/** Bytes of downloads in progress (`*.incomplete` blobs) in a repo folder. */
export function partialBytes(dir: string): number {
  const blobs = join(dir, 'blobs');
  if (!existsSync(blobs)) return 0;
  return readdirSync(blobs).filter((f) => f.endsWith('.incomplete')).reduce((n, f) => n + statSync(join(blobs, f)).size, 0);
}

export interface CachedModel {
  ref: ModelRef;
  commit: string;
  /** Absolute path to load: the .gguf file or the folder. */
  path: string;
  selection: Selection;
  bytes: number;
}

/** Not in the cache (or not whole): the message says the command that fetches it. */
export class NotDownloadedError extends Error {}

export function resolveCached(ref: ModelRef, cacheDir: string): CachedModel {
  const dir = repoDir(cacheDir, ref.repo);
  const how = `download it with: ${pullCommand(ref.name)}`;
  const snap = cachedSnapshot(dir);
  if (!snap) {
    const partial = partialBytes(dir);
    throw new NotDownloadedError(`${ref.name} is not downloaded${partial ? ` (an interrupted download holds ${partial >= 1e9 ? `${(partial / 1e9).toFixed(2)} GB` : `${(partial / 1e6).toFixed(1)} MB`})` : ''} in ${cacheDir}; ${how}`);
  }
  const files = snapshotFiles(snap.path);
  let selection: Selection;
  try {
    selection = selectFiles(ref.repo, files, ref.file);
  } catch (e) {
    if (!(e instanceof SelectError)) throw e;
    throw new NotDownloadedError(`${ref.name}: the cached snapshot ${snap.path} has no model to serve (${e.message}); ${how}`);
  }
  const missing = missingShards(snap.path, selection);
  if (missing.length) throw new NotDownloadedError(`${ref.name} is only partly downloaded (missing ${missing.join(', ')}); finish it with: ${pullCommand(ref.name)}`);
  const size = new Map(files.map((f) => [f.path, f.size]));
  return {
    ref, commit: snap.commit, path: join(snap.path, selection.model), selection,
    bytes: selection.files.reduce((n, f) => n + (size.get(f) ?? 0), 0),
  };
}

/** Shards an HF folder's index names that the snapshot lacks. */
function missingShards(snapshot: string, s: Selection): string[] {
  if (s.kind !== 'hf') return [];
  const folder = join(snapshot, s.model);
  if (!existsSync(join(folder, 'config.json'))) return ['config.json'];
  const index = join(folder, 'model.safetensors.index.json');
  if (!existsSync(index)) return [];
  let map: Record<string, string>;
  try {
    map = JSON.parse(readFileSync(index, 'utf8')).weight_map ?? {};
  } catch {
    return ['a readable model.safetensors.index.json'];
  }
  return [...new Set(Object.values(map))].filter((f) => !existsSync(join(folder, f)));
}
