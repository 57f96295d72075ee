// A Hugging Face hub on 127.0.0.1 for the pull tests (HF_ENDPOINT points at it), answering the
// routes @huggingface/hub and our downloader use, with the hub's headers:
//   GET  /api/models/OWNER/NAME/revision/REV       model info with `sha`
//   GET  /api/models/OWNER/NAME/tree/REV[?recursive]  files (oid, size, lfs {oid, size, pointerSize})
//   POST /api/models/OWNER/NAME/paths-info/REV     the same entries for the paths asked, expanded
//   GET  /OWNER/NAME/resolve/REV/PATH              small files: 200 with the body; LFS files: 302
//        to the CDN with X-Linked-Etag, X-Linked-Size, X-Repo-Commit (as the hub answers)
//   GET  (CDN) /blobs/SHA256                       the bytes; Range honoured (206)
// The CDN is a second server (another origin, as on the real hub). Faults for the next CDN
// responses: `cut` (close the connection after N bytes) and `flip` (one byte changed). Every
// request is recorded (method, url, range, authorization).
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface MockFile { path: string; data: Uint8Array; lfs?: boolean }
export interface Seen { server: 'hub' | 'cdn'; method: string; url: string; range?: string; authorization?: string }
export type Fault = { kind: 'cut'; after: number } | { kind: 'flip'; at: number };

interface Entry { path: string; data: Uint8Array; size: number; oid: string; sha256: string; lfs: boolean }
interface Repo { commit: string; files: Map<string, Entry>; token?: string }

export class MockHub {
  readonly seen: Seen[] = [];
  readonly faults: Fault[] = [];
  private repos = new Map<string, Repo>();
  private blobs = new Map<string, Entry>();
  private hub!: Server;
  private cdn!: Server;
  url = '';
  cdnUrl = '';

  /** `token`: the repo answers 401 without `Authorization: Bearer token` (a gated repo). */
  addRepo(repo: string, files: MockFile[], o: { token?: string; commit?: string } = {}): string {
    const commit = o.commit ?? createHash('sha1').update(repo + files.map((f) => f.path).join()).digest('hex');
    const map = new Map<string, Entry>();
    for (const f of files) {
      const e: Entry = {
        path: f.path, data: f.data, size: f.data.length,
        oid: createHash('sha1').update(`blob ${f.data.length}\0`).update(f.data).digest('hex'),
        sha256: createHash('sha256').update(f.data).digest('hex'),
        lfs: f.lfs ?? /\.(gguf|safetensors|bin)$/.test(f.path),
      };
      map.set(f.path, e);
      if (e.lfs) this.blobs.set(e.sha256, e);
    }
    this.repos.set(repo, { commit, files: map, token: o.token });
    return commit;
  }

  async start(): Promise<void> {
    this.hub = createServer((q, s) => this.answerHub(q, s));
    this.cdn = createServer((q, s) => this.answerCdn(q, s));
    this.url = `http://127.0.0.1:${await listen(this.hub)}`;
    this.cdnUrl = `http://127.0.0.1:${await listen(this.cdn)}`;
  }

  async stop(): Promise<void> {
    for (const s of [this.hub, this.cdn]) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  }

  /** Requests for file bodies (resolve and CDN), as opposed to API calls. */
  bodyRequests(): Seen[] {
    return this.seen.filter((r) => r.server === 'cdn' || r.url.includes('/resolve/'));
  }

  private record(server: Seen['server'], q: IncomingMessage): void {
    this.seen.push({ server, method: q.method ?? '', url: q.url ?? '', range: q.headers.range, authorization: q.headers.authorization });
  }

  private async answerHub(q: IncomingMessage, s: ServerResponse): Promise<void> {
    this.record('hub', q);
    const url = new URL(q.url ?? '/', this.url);
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/(revision|tree|paths-info)\/([^/]+)(?:\/(.*))?$/.exec(url.pathname);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const name = decodeURIComponent((api ?? resolve)?.[1] ?? '');
    const repo = this.repos.get(name);
    if (!repo) return json(s, 404, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' });
    if (repo.token && q.headers.authorization !== `Bearer ${repo.token}`) return json(s, 401, { error: 'Access to this model is restricted' }, { 'X-Error-Code': 'GatedRepo' });
    const rev = decodeURIComponent((api ? api[3] : resolve![2]));
    if (rev !== 'main' && rev !== 'HEAD' && rev !== repo.commit) return json(s, 404, { error: `Invalid rev id: ${rev}` }, { 'X-Error-Code': 'RevisionNotFound' });
    const info = (e: Entry, expand: boolean) => ({
      type: 'file', oid: e.oid, size: e.size, path: e.path,
      ...(e.lfs ? { lfs: { oid: e.sha256, size: e.size, pointerSize: 134 } } : {}),
      ...(expand ? { lastCommit: { id: repo.commit, title: 'upload', date: '2025-08-05T00:00:00.000Z' }, securityFileStatus: { status: 'safe' } } : {}),
    });
    if (api?.[2] === 'revision') {
      return json(s, 200, {
        _id: `id-${name}`, id: name, sha: repo.commit, private: false, gated: repo.token ? 'auto' : false, downloads: 0, likes: 0,
        lastModified: '2025-08-05T00:00:00.000Z', pipeline_tag: 'text-generation', tags: [], siblings: [...repo.files.keys()].map((rfilename) => ({ rfilename })),
      });
    }
    if (api?.[2] === 'tree') {
      const prefix = api[4] ? `${decodeURIComponent(api[4])}/` : '';
      const recursive = url.searchParams.get('recursive') === 'true';
      const files = [...repo.files.values()].filter((e) => e.path.startsWith(prefix) && (recursive || !e.path.slice(prefix.length).includes('/')));
      const dirs = new Set<string>();
      for (const e of files) {
        const parts = e.path.slice(prefix.length).split('/').slice(0, -1);
        for (let i = 1; i <= (recursive ? parts.length : Math.min(1, parts.length)); i++) dirs.add(prefix + parts.slice(0, i).join('/'));
      }
      return json(s, 200, [...[...dirs].map((path) => ({ type: 'directory', oid: '0'.repeat(40), size: 0, path })), ...files.map((e) => info(e, url.searchParams.get('expand') === 'true'))]);
    }
    if (api?.[2] === 'paths-info') {
      const body = JSON.parse(await text(q)) as { paths: string[]; expand?: boolean };
      return json(s, 200, body.paths.flatMap((p) => (repo.files.has(p) ? [info(repo.files.get(p)!, !!body.expand)] : [])));
    }
    const file = repo.files.get(decodeURIComponent(resolve?.[3] ?? ''));
    if (!resolve || !file) return json(s, 404, { error: 'Entry not found' }, { 'X-Error-Code': 'EntryNotFound' });
    const common = { 'X-Repo-Commit': repo.commit, 'X-Linked-Size': String(file.size) };
    if (!file.lfs) return sendRange(s, q, file.data, { ...common, ETag: `"${file.oid}"` });
    s.writeHead(302, { ...common, 'X-Linked-Etag': `"${file.sha256}"`, ETag: `"${file.oid}"`, Location: `${this.cdnUrl}/blobs/${file.sha256}?expires=1` });
    s.end();
  }

  private answerCdn(q: IncomingMessage, s: ServerResponse): void {
    this.record('cdn', q);
    const blob = this.blobs.get(/^\/blobs\/([0-9a-f]{64})/.exec(q.url ?? '')?.[1] ?? '');
    if (!blob) return json(s, 404, { error: 'no such blob' });
    const fault = this.faults.shift();
    let data = blob.data;
    if (fault?.kind === 'flip') {
      data = new Uint8Array(data); // a copy (Buffer#slice would be a view of the repo's bytes)
      data[fault.at] ^= 0x5a;
    }
    sendRange(s, q, data, { ETag: `"${blob.sha256}"` }, fault?.kind === 'cut' ? fault.after : undefined);
  }
}

/** 200 or 206 for `Range: bytes=a-[b]`; `cutAfter`: close the socket after that many body bytes. */
function sendRange(s: ServerResponse, q: IncomingMessage, data: Uint8Array, headers: Record<string, string>, cutAfter?: number): void {
  const m = /^bytes=(\d+)-(\d*)$/.exec(q.headers.range ?? '');
  let body = data, status = 200;
  const h: Record<string, string> = { ...headers, 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' };
  if (m) {
    const a = Number(m[1]), b = m[2] ? Math.min(Number(m[2]), data.length - 1) : data.length - 1;
    if (a >= data.length) { s.writeHead(416, { 'Content-Range': `bytes */${data.length}` }); s.end(); return; }
    body = data.subarray(a, b + 1);
    status = 206;
    h['Content-Range'] = `bytes ${a}-${b}/${data.length}`;
  }
  h['Content-Length'] = String(body.length);
  s.writeHead(status, h);
  if (cutAfter === undefined || cutAfter >= body.length) { s.end(body); return; }
  s.write(body.subarray(0, cutAfter), () => s.destroy());
}

function json(s: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  s.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  s.end(JSON.stringify(body));
}

function text(q: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let t = '';
    q.setEncoding('utf8');
    q.on('data', (c) => { t += c; });
    q.on('end', () => resolve(t));
    q.on('error', reject);
  });
}

function listen(s: Server): Promise<number> {
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port)));
}
