// JSON documents at the token level, by xgrammar (web-xgrammar, see xgrammar.ts): a JSON Schema is
// compiled once per vocabulary into a grammar whose token masks are mostly precomputed, and a
// matcher per generation walks it token by token. Measured on o200k_harmony (201,088 tokens, Bun,
// AMD EPYC, 2 cores): vocabulary preparation ~2.5 s once per process, a schema 0.1–0.5 s (cached
// here), a mask 0.02–0.2 ms (rarely a few ms) — small beside a decode step.
import { bytesToByteLevel } from '../../tokenizer/byte-level.ts';
import { vocabFacts } from './json-closing.ts';
import type { Tokenizer } from '../../tokenizer/index.ts';
import { discardXGrammar, takeMessages, xgrammar, type CompiledHandle, type CompilerHandle, type MatcherHandle } from './xgrammar.ts';

export type JsonSchema = Record<string, unknown>;

/**
 * Whitespace allowed between two JSON tokens. Unbounded, random or looping output could spend the
 * whole budget on blanks; 16 still allows indented pretty-printing a few levels deep.
 */
const MAX_WHITESPACE = 16;
/** Compiled schemas kept per vocabulary (least recently used dropped first). */
const CACHE = 64;

/**
 * Keywords web-xgrammar 0.1.27 compiles into a wrong grammar, found by reading its output: string
 * length bounds drop escapes and let raw control characters in (`[^"\\\r\n]{0,n}`), `pattern` may
 * let `"` in, number bounds are approximate (`maximum: 10` admits 10.5, `exclusiveMinimum: 0`
 * admits 0). They are left out of the grammar, so the document stays valid JSON of the schema's
 * shape but these bounds are not enforced. Integer minimum/maximum compile correctly and stay.
 */
const UNENFORCED = new Set(['minLength', 'maxLength', 'pattern', 'format', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf']);

/** `schema` without the keywords above (and without number — not integer — minimum/maximum). */
export function enforceableSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(enforceableSchema);
  if (typeof schema !== 'object' || schema === null) return schema;
  const s = schema as JsonSchema;
  const integer = s.type === 'integer';
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(s)) {
    if (UNENFORCED.has(k) && typeof v !== 'object') continue;
    if ((k === 'minimum' || k === 'maximum') && typeof v === 'number' && !integer) continue;
    // enum and const values are data, not schemas
    out[k] = k === 'enum' || k === 'const' || k === 'default' || k === 'examples' ? v : enforceableSchema(v);
  }
  return out;
}

/** Where a request's constraint went wrong: its answer format, its tool choice, or one function's parameters. */
export type GrammarSource = 'format' | 'tool_choice' | { tool: string };

/** A schema the grammar compiler refuses (unsupported keyword, bad $ref…), or an impossible choice. */
export class GrammarError extends Error {
  constructor(message: string, readonly source: GrammarSource = 'format') {
    super(message);
    this.name = 'GrammarError';
  }
}

export interface CompiledJson { readonly key: string; readonly handle: CompiledHandle }

let byTokenizer = new WeakMap<Tokenizer, Promise<JsonGrammars>>();

/** An xgrammar call aborted: start over with a fresh instance and fresh vocabulary tables (xgrammar.ts). */
function discard(): void {
  byTokenizer = new WeakMap();
  discardXGrammar();
}

function aborted(e: unknown): boolean {
  return e instanceof Error && e.message.startsWith('Aborted(');
}

export class JsonGrammars {
  readonly #cache = new Map<string, Promise<CompiledJson>>();

  /** Use JsonGrammars.for(tok). */
  constructor(readonly tok: Tokenizer, private readonly compiler: CompilerHandle) {}

  /** The grammars of one vocabulary (prepared on first use, then shared). */
  static for(tok: Tokenizer): Promise<JsonGrammars> {
    let g = byTokenizer.get(tok);
    if (!g) {
      g = prepare(tok);
      byTokenizer.set(tok, g);
    }
    return g;
  }

  /** A JSON Schema, or null for any JSON object (`json_object`); throws GrammarError. */
  compile(schema: JsonSchema | null): Promise<CompiledJson> {
    const key = schema === null ? 'object' : JSON.stringify(schema);
    let got = this.#cache.get(key);
    if (got) {
      this.#cache.delete(key); // refresh its place in the LRU order
      this.#cache.set(key, got);
      return got;
    }
    got = this.#compile(key, schema);
    this.#cache.set(key, got);
    got.catch(() => this.#cache.delete(key));
    if (this.#cache.size > CACHE) {
      const [oldest, p] = this.#cache.entries().next().value!;
      this.#cache.delete(oldest);
      void p.then((c) => c.handle.dispose(), () => {});
    }
    return got;
  }

  async #compile(key: string, schema: JsonSchema | null, retried = false): Promise<CompiledJson> {
    // Strict: no properties beyond those the schema names (OpenAI's strict structured output).
    // `json_object` is the schema {"type": "object"} without strictness: any object.
    const text = schema === null ? '{"type":"object"}' : JSON.stringify(enforceableSchema(schema));
    takeMessages();
    try {
      const handle = await this.compiler.compileJSONSchema(text, true, -1, undefined, schema !== null, MAX_WHITESPACE);
      return { key, handle };
    } catch (e) {
      const why = takeMessages().filter((m) => !m.startsWith('Aborted(')).join('; ');
      if (aborted(e)) {
        discard();
        // An abort without a [FATAL] reason is the instance's state, not the schema (seen once in
        // the full suite after many compiles in one process): the schema gets one fresh instance.
        if (!why && !retried) return (await JsonGrammars.for(this.tok)).#compile(key, schema, true);
      }
      throw new GrammarError(`the JSON schema cannot be enforced: ${why || errorText(e)}`);
    }
  }
}

/** xgrammar's vocabulary: byte-level strings; specials as empty strings, which it never allows. */
async function prepare(tok: Tokenizer): Promise<JsonGrammars> {
  const xg = xgrammar();
  const vocab: string[] = new Array(tok.vocabSize);
  for (let id = 0; id < tok.vocabSize; id++) vocab[id] = tok.isSpecial(id) ? '' : bytesToByteLevel(tok.tokenBytes(id));
  const info = await xg.TokenizerInfo.createTokenizerInfo(vocab, 'byte_level', false, tok.vocabSize, []);
  vocabFacts(tok);
  return new JsonGrammars(tok, await xg.GrammarCompiler.createGrammarCompiler(info, false));
}

/** One generation's walk through a compiled grammar, ending with `stop` once the document is whole. */
export class JsonMatcher {
  #closed = false;

  private constructor(private readonly m: MatcherHandle) {}

  static async create(g: CompiledJson, stop: number): Promise<JsonMatcher> {
    return new JsonMatcher(await xgrammar().GrammarMatcher.createGrammarMatcher(g.handle, [stop]));
  }

  /** Sets the logits of ids < limit that cannot continue the document to -Infinity. */
  async mask(logits: Float32Array, limit: number): Promise<void> {
    try {
      applyBitmask(await this.m.getNextTokenBitmask(), logits, limit);
    } catch (e) {
      if (aborted(e)) discard();
      throw e;
    }
  }

  /** False when `id` cannot continue the document (the matcher is unchanged then). */
  accept(id: number): boolean {
    try {
      return this.m.acceptToken(id);
    } catch (e) {
      if (aborted(e)) discard();
      throw e;
    }
  }

  /** The stop token was accepted. */
  get done(): boolean {
    return this.m.isTerminated();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.m.dispose();
  }
}

/** Bit i of `mask` (little-endian 32-bit words) set = id i allowed. */
export function applyBitmask(mask: Int32Array, logits: Float32Array, limit: number): void {
  const words = Math.min(mask.length, Math.ceil(limit / 32));
  for (let w = 0; w < words; w++) {
    const bits = mask[w];
    if (bits === -1) continue;
    const base = w * 32, end = Math.min(32, limit - base);
    for (let b = 0; b < end; b++) if (((bits >>> b) & 1) === 0) logits[base + b] = -Infinity;
  }
  for (let i = words * 32; i < limit; i++) logits[i] = -Infinity;
}

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
