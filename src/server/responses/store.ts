// Stored responses (`store: true`, OpenAI's default): the response object, its own input items and
// the whole conversation up to its output, so that `previous_response_id` continues it and
// GET /v1/responses/{id}[/input_items] answers. Kept in memory or, with a directory, as one JSON
// file per response (which outlive a restart); either way within a byte budget (least recently
// used go first) and an age (older ones are gone, as if never stored).
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Item } from './items.ts';

export interface StoredResponse {
  response: { id: string; created_at: number } & Record<string, unknown>;
  /** The request's own input items (input_items lists these). */
  input: Item[];
  /** Everything a follow-up continues: the previous conversation, this input, this output. */
  conversation: Item[];
}

export interface StoreOptions {
  maxBytes: number;
  maxAgeSeconds: number;
  /** Keep each response as DIR/{id}.json instead of in memory. */
  dir?: string | null;
  now?: () => number;
}

interface Entry { bytes: number; created: number; json: string | null; items: string[] }

/** `serve` defaults: --responses-max-mb, --responses-max-age (seconds; OpenAI keeps responses 30 days). */
export const STORE_DEFAULTS = { maxMb: 256, maxAgeSeconds: 30 * 86400 };

const ID = /^resp_[A-Za-z0-9_]{1,128}$/; // what this server hands out (ids.ts, a replica tag and `_` included): safe as a file name
const utf8 = new TextEncoder();

export class ResponseStore {
  /** In order of use, least recent first. */
  readonly #entries = new Map<string, Entry>();
  /** Item id → the newest response holding it (item_reference). */
  readonly #items = new Map<string, string>();
  #bytes = 0;
  readonly #now: () => number;

  constructor(readonly o: StoreOptions) {
    this.#now = o.now ?? Date.now;
    if (o.dir) this.#load(o.dir);
  }

  get size(): number { return this.#entries.size; }
  get bytes(): number { return this.#bytes; }

  /** Stores `r` (false when it alone is over the budget); older entries go as the budget needs. */
  put(r: StoredResponse): boolean {
    const json = JSON.stringify(r);
    const bytes = utf8.encode(json).length;
    if (bytes > this.o.maxBytes) return false;
    this.delete(r.response.id);
    if (this.o.dir) writeFileSync(this.#file(r.response.id), json);
    this.#add(r.response.id, { bytes, created: r.response.created_at * 1000, json: this.o.dir ? null : json, items: r.conversation.map((i) => i.id) });
    this.#sweep();
    return true;
  }

  /** The stored response, or null (unknown, expired, evicted); counts as a use. */
  get(id: string): StoredResponse | null {
    const e = ID.test(id) ? this.#entries.get(id) : undefined;
    if (!e) return null;
    if (this.#expired(e)) { this.delete(id); return null; }
    this.#entries.delete(id);
    this.#entries.set(id, e);
    return JSON.parse(e.json ?? readFileSync(this.#file(id), 'utf8')) as StoredResponse;
  }

  delete(id: string): boolean {
    const e = this.#entries.get(id);
    if (!e) return false;
    this.#entries.delete(id);
    this.#bytes -= e.bytes;
    for (const i of e.items) if (this.#items.get(i) === id) this.#items.delete(i);
    if (this.o.dir) rmSync(this.#file(id), { force: true });
    return true;
  }

  /** A stored item by its id (item_reference), or null. */
  item(id: string): Item | null {
    const owner = this.#items.get(id);
    return (owner && this.get(owner)?.conversation.find((i) => i.id === id)) || null;
  }

  #add(id: string, e: Entry): void {
    this.#entries.set(id, e);
    this.#bytes += e.bytes;
    for (const i of e.items) this.#items.set(i, id);
  }

  #expired(e: Entry): boolean {
    return this.#now() - e.created > this.o.maxAgeSeconds * 1000;
  }

  #sweep(): void {
    for (const [id, e] of this.#entries) if (this.#expired(e)) this.delete(id);
    for (const id of this.#entries.keys()) {
      if (this.#bytes <= this.o.maxBytes) break;
      this.delete(id);
    }
  }

  #file(id: string): string {
    return join(this.o.dir!, `${id}.json`);
  }

  /** Responses a previous run left in `dir`, least recently written first. */
  #load(dir: string): void {
    mkdirSync(dir, { recursive: true });
    const files = readdirSync(dir).filter((f) => f.endsWith('.json') && ID.test(f.slice(0, -5)))
      .map((f) => ({ id: f.slice(0, -5), stat: statSync(join(dir, f)) }))
      .sort((a, b) => a.stat.mtimeMs - b.stat.mtimeMs);
    for (const { id, stat } of files) {
      try {
        const r = JSON.parse(readFileSync(join(dir, `${id}.json`), 'utf8')) as StoredResponse;
        this.#add(id, { bytes: stat.size, created: r.response.created_at * 1000, json: null, items: r.conversation.map((i) => i.id) });
      } catch {
        rmSync(join(dir, `${id}.json`), { force: true }); // a torn write: not a response
      }
    }
    this.#sweep();
  }
}
