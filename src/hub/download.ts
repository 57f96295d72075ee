// One file from the hub into its blob, with what @huggingface/hub 2.17's downloadFileToCacheDir
// lacks (it streams into blobs/<etag>.incomplete from byte 0 and renames it, unchecked):
//   * resume: an existing `.incomplete` is continued with `Range: bytes=N-` against the resolve
//     URL (as huggingface_hub does), also after a dropped connection within one run (`retries`);
//   * verification: the size, and the SHA-256 of LFS files (their etag) or the git blob id of
//     small files, checked before the rename; a mismatch deletes the download, so a corrupt or
//     truncated file never becomes a blob and is never served.
// Redirects are followed by hand: the token goes to the hub, never to the CDN it redirects to
// (S3-style signed URLs reject a second credential, and the token is not theirs to see).
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';

export interface BlobTask {
  /** Path in the repo (for messages). */
  path: string;
  size: number;
  /** Expected SHA-256 (LFS files) or, failing that, the git blob id (SHA-1); undefined: size only. */
  sha256?: string;
  gitOid?: string;
  /** Absolute path of the blob to produce. */
  blob: string;
  /** The resolve URL (…/REPO/resolve/COMMIT/PATH). */
  url: string;
}

export interface DownloadOptions {
  token?: string;
  /** Origin the token is sent to (the hub's). */
  hubOrigin: string;
  fetch?: typeof fetch;
  /** New bytes received (negative when a restart discards some). */
  onBytes?: (n: number) => void;
  log?: (line: string) => void;
  /** Further attempts after a dropped connection or a 5xx/429, each resuming (default 5). */
  retries?: number;
  /** Wait before attempt k: retryDelayMs · 2^(k−1) (default 1000). */
  retryDelayMs?: number;
}

/** A download that failed in a way the user must hear about (auth, missing file, bad bytes). */
export class DownloadError extends Error {}

/** Worth another attempt (resuming): a dropped connection, a 5xx, a 429. */
class Transient extends Error {}

export async function downloadBlob(t: BlobTask, o: DownloadOptions): Promise<void> {
  const part = `${t.blob}.incomplete`;
  const log = o.log ?? (() => {});
  const retries = o.retries ?? 5;
  const pos = { at: existsSync(part) ? statSync(part).size : 0 };
  if (pos.at > t.size) { await rm(part); pos.at = 0; }
  let hash = newHash(t);
  if (pos.at > 0) {
    log(`${t.path}: resuming at byte ${pos.at} of ${t.size} (checking the part already here)`);
    await hashPrefix(part, pos.at, hash);
  }
  const fh = await open(part, pos.at > 0 ? 'r+' : 'w');
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        if (pos.at < t.size) {
          const r = await fetchFrom(t, pos.at, o);
          if (r.restart) { // the server sent the whole file: start over
            o.onBytes?.(-pos.at);
            pos.at = 0;
            hash = newHash(t);
            await fh.truncate(0);
          }
          await receive(r.res, fh, pos, hash, o.onBytes);
        }
        if (pos.at !== t.size) throw new Transient(`the connection closed after ${pos.at} of ${t.size} bytes`);
        break;
      } catch (e) {
        if (!(e instanceof Transient) && !isNetworkError(e)) throw e;
        const why = e instanceof Transient ? e.message : `the connection was lost (${(e as { code?: string }).code ?? (e as Error).message})`;
        if (attempt >= retries) {
          throw new DownloadError(`${t.path}: ${why}; ${pos.at} of ${t.size} bytes are kept in ${part}: run pull again to resume`);
        }
        const wait = (o.retryDelayMs ?? 1000) * 2 ** attempt;
        log(`${t.path}: ${why}; resuming at byte ${pos.at} in ${(wait / 1000).toFixed(1)}s (attempt ${attempt + 2} of ${retries + 1})`);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  } finally {
    await fh.close();
  }
  const got = hash.digest('hex');
  const want = t.sha256 ?? t.gitOid;
  if (want !== undefined && got !== want) {
    await rm(part, { force: true });
    throw new DownloadError(`${t.path}: checksum mismatch, the download is corrupt (${t.sha256 ? 'SHA-256' : 'git blob id'} ${got}, the hub says ${want}); it was deleted: run pull again`);
  }
  await rename(part, t.blob);
}

function newHash(t: BlobTask): Hash {
  if (t.sha256 !== undefined || t.gitOid === undefined) return createHash('sha256');
  return createHash('sha1').update(`blob ${t.size}\0`); // git's object id of a file
}

async function hashPrefix(path: string, bytes: number, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(path, { start: 0, end: bytes - 1, highWaterMark: 1 << 22 })) hash.update(chunk as Buffer);
}

/** GET `t.url` from `offset`, following redirects; `restart` when a Range was ignored. */
async function fetchFrom(t: BlobTask, offset: number, o: DownloadOptions): Promise<{ res: Response; restart: boolean }> {
  const f = o.fetch ?? fetch;
  let url = t.url;
  for (let hop = 0; hop < 10; hop++) {
    const headers: Record<string, string> = offset > 0 ? { Range: `bytes=${offset}-` } : {};
    if (o.token && new URL(url).origin === o.hubOrigin) headers.Authorization = `Bearer ${o.token}`;
    const res = await f(url, { headers, redirect: 'manual' });
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      const linked = res.headers.get('x-linked-size');
      if (linked !== null && Number(linked) !== t.size) {
        await res.body?.cancel();
        throw new DownloadError(`${t.path}: the hub lists ${t.size} bytes but the download link says ${linked}`);
      }
      await res.body?.cancel();
      url = new URL(location, url).href;
      continue;
    }
    if (res.status === 206) {
      const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
      if (!m || Number(m[1]) !== offset || (m[3] !== '*' && Number(m[3]) !== t.size)) {
        await res.body?.cancel();
        throw new Transient(`the server answered the range from ${offset} with ${res.headers.get('content-range') ?? 'no Content-Range'}`);
      }
      return { res, restart: false };
    }
    if (res.status === 200) return { res, restart: offset > 0 };
    const body = (await res.text().catch(() => '')).slice(0, 300);
    if (res.status === 429 || res.status >= 500) throw new Transient(`HTTP ${res.status} from ${new URL(url).host}`);
    if (res.status === 401 || res.status === 403) {
      throw new DownloadError(`${t.path}: HTTP ${res.status} (${o.token ? 'the token in HF_TOKEN has no access' : 'set HF_TOKEN to a token with access'}; gated repos need their licence accepted on the model page) ${body}`);
    }
    throw new DownloadError(`${t.path}: HTTP ${res.status} from ${url} ${body}`);
  }
  throw new DownloadError(`${t.path}: too many redirects`);
}

/** Appends the body at `pos.at`, hashing it and advancing `pos.at` (so a dropped connection leaves it
 * at the bytes kept). Network errors propagate. */
async function receive(res: Response, fh: FileHandle, pos: { at: number }, hash: Hash, onBytes?: (n: number) => void): Promise<void> {
  if (!res.body) return;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    await fh.write(chunk, 0, chunk.length, pos.at);
    hash.update(chunk);
    pos.at += chunk.length;
    onBytes?.(chunk.length);
  }
}

function isNetworkError(e: unknown): boolean {
  if (e instanceof DownloadError) return false;
  const code = (e as { code?: string }).code ?? '';
  return e instanceof TypeError || /ECONN|EPIPE|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|UND_ERR|ConnectionClosed|ConnectionRefused|FailedToOpenSocket/i.test(`${code} ${(e as Error).message}`);
}
