// `pull`: a model from the hub into Hugging Face's cache (cache.ts has the layout), with
// @huggingface/hub for the API (revision → commit, file tree, paths-info) and for placing files
// in the cache (downloadFileToCacheDir links snapshots/<commit>/<path> to its blob); the bytes
// themselves go through download.ts (resume, checksum), which fills the blob first so the library
// finds it complete. All blobs are fetched before any snapshot link is made: a snapshot never
// shows part of a model. Files already in the cache (from an earlier pull, another revision, or
// `hf download`) are not fetched again.
import { downloadFileToCacheDir, HubApiError, listFiles, modelInfo, type ListFileEntry } from '@huggingface/hub';
import { existsSync, realpathSync, statfsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { COMMIT, repoDir } from './cache.ts';
import { downloadBlob, DownloadError } from './download.ts';
import type { HubSettings } from './env.ts';
import { LockedError, withBlobLock } from './lock.ts';
import type { ModelRef } from './names.ts';
import { selectFiles, SelectError, type Selection } from './select.ts';

export interface PullOptions extends HubSettings {
  revision?: string;
  fetch?: typeof fetch;
  log?: (line: string) => void;
  /** Called once with the bytes to fetch, then with each chunk's size and the file it belongs to. */
  progress?: { start(total: number): void; bytes(n: number, file: string): void; finish(): void };
  retries?: number;
  retryDelayMs?: number;
}

export interface PullResult {
  repo: string;
  commit: string;
  selection: Selection;
  /** Absolute path to load (the .gguf file or the folder in the snapshot). */
  path: string;
  files: { path: string; size: number; fetched: boolean }[];
  fetchedBytes: number;
}

/** Anything the user must be told plainly (wrong name, no access, corrupt download…). */
export class PullError extends Error {}

export async function pull(ref: ModelRef, o: PullOptions): Promise<PullResult> {
  const log = o.log ?? (() => {});
  const revision = o.revision ?? 'main';
  const api = { hubUrl: o.endpoint, fetch: o.fetch, ...(o.token ? { accessToken: o.token } : {}) };
  if (o.token && !o.token.startsWith('hf_')) throw new PullError('HF_TOKEN does not look like a Hugging Face token (they start with hf_)');
  const dir = repoDir(o.cacheDir, ref.repo);

  const commit = await hubCall(ref, o, () => modelInfo({ ...api, name: ref.repo, revision, additionalFields: ['sha'] })).then((m) => m.sha);
  if (typeof commit !== 'string' || !COMMIT.test(commit)) throw new PullError(`${o.endpoint} gave no commit for ${ref.repo}@${revision}`);
  if (revision !== commit) { // as snapshotDownload and huggingface_hub record a branch or tag
    await mkdir(join(dir, 'refs'), { recursive: true });
    await writeFile(join(dir, 'refs', revision), commit);
  }

  const tree: ListFileEntry[] = [];
  await hubCall(ref, o, async () => {
    for await (const e of listFiles({ ...api, repo: ref.repo, revision: commit, recursive: true })) if (e.type === 'file') tree.push(e);
  });
  let selection: Selection;
  try {
    selection = selectFiles(ref.repo, tree, ref.file);
  } catch (e) {
    throw e instanceof SelectError ? new PullError(e.message) : e;
  }
  if (selection.note) log(`${ref.repo}: ${selection.note}`);
  if (selection.warning) log(`warning: ${selection.warning}`);

  const entries = selection.files.map((p) => tree.find((e) => e.path === p)!);
  const plan = entries.map((e) => {
    const etag = etagOf(e); // the library's choice: it must name the same blob (checked below)
    const blob = join(dir, 'blobs', etag);
    const pointer = join(dir, 'snapshots', commit, e.path);
    const linked = existsSync(pointer) && statSync(pointer).size === e.size;
    const whole = linked || (existsSync(blob) && statSync(blob).size === e.size);
    const partial = !whole && existsSync(`${blob}.incomplete`) ? Math.min(statSync(`${blob}.incomplete`).size, e.size) : 0;
    return { e, blob, pointer, linked, whole, partial };
  });
  const todo = plan.filter((p) => !p.whole);
  const total = todo.reduce((n, p) => n + p.e.size - p.partial, 0);
  if (todo.length) await mkdir(join(dir, 'blobs'), { recursive: true });
  checkSpace(dir, total);

  o.progress?.start(total);
  for (const p of todo) {
    await withBlobLock(o.cacheDir, basename(dir), basename(p.blob), () => downloadBlob({
      path: p.e.path, size: p.e.size, blob: p.blob, url: resolveUrl(o.endpoint, ref.repo, commit, p.e.path),
      ...(p.e.lfs ? { sha256: p.e.lfs.oid } : p.e.oid && !p.e.xetHash ? { gitOid: p.e.oid } : {}),
    }, {
      token: o.token, hubOrigin: new URL(o.endpoint).origin, fetch: o.fetch, log, retries: o.retries, retryDelayMs: o.retryDelayMs,
      onBytes: (n) => o.progress?.bytes(n, p.e.path),
    })).catch((e) => { throw e instanceof DownloadError || e instanceof LockedError ? new PullError(e.message) : e; });
  }
  o.progress?.finish();

  for (const p of plan) {
    if (p.linked) continue;
    const pointer = await hubCall(ref, o, () => downloadFileToCacheDir({ ...api, repo: ref.repo, path: p.e.path, revision: commit, cacheDir: o.cacheDir }));
    if (realpathSync(pointer) !== realpathSync(p.blob)) throw new Error(`internal: ${pointer} does not link to the verified blob ${p.blob}`);
  }
  return {
    repo: ref.repo, commit, selection, path: join(dir, 'snapshots', commit, selection.model),
    files: plan.map((p) => ({ path: p.e.path, size: p.e.size, fetched: !p.whole })), fetchedBytes: total,
  };
}

/** The blob name @huggingface/hub gives a file: the LFS SHA-256, else the xet hash, else the git id. */
function etagOf(e: ListFileEntry): string {
  const etag = e.lfs?.oid ?? e.xetHash ?? e.oid;
  if (!etag || !/^[0-9a-f]{40,64}$/.test(etag)) throw new PullError(`the hub gave no usable id for ${e.path}`);
  return etag;
}

function resolveUrl(endpoint: string, repo: string, commit: string, path: string): string {
  return `${endpoint}/${repo}/resolve/${commit}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

function checkSpace(dir: string, bytes: number): void {
  if (bytes === 0) return;
  const fs = statfsSync(dir);
  const free = fs.bavail * fs.bsize;
  if (free < bytes) throw new PullError(`${(bytes / 1e9).toFixed(2)} GB to download but ${(free / 1e9).toFixed(2)} GB free in ${dir}`);
}

/** Runs a hub API call, turning its failures into messages that say what to do. */
async function hubCall<T>(ref: ModelRef, o: HubSettings, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (e instanceof HubApiError) {
      if (e.statusCode === 401 || e.statusCode === 403) {
        throw new PullError(`${ref.repo} needs access (HTTP ${e.statusCode}): ${o.token ? 'the token in HF_TOKEN has none' : 'set HF_TOKEN to a read token from https://huggingface.co/settings/tokens'}; for a gated model, accept its licence on ${o.endpoint}/${ref.repo}`);
      }
      if (e.statusCode === 404) throw new PullError(`${ref.repo} was not found on ${o.endpoint} (HTTP 404: check the name; private repos also need HF_TOKEN)`);
      throw new PullError(`${o.endpoint} answered HTTP ${e.statusCode}: ${e.message}`);
    }
    if (e instanceof PullError) throw e;
    if (e instanceof TypeError || /ECONN|ENOTFOUND|EAI_AGAIN|FailedToOpenSocket|ConnectionRefused|Unable to connect/i.test(String((e as Error).message) + ((e as { code?: string }).code ?? ''))) {
      throw new PullError(`cannot reach ${o.endpoint}: ${(e as Error).message}`);
    }
    throw e;
  }
}
