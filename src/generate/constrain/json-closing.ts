// Closing a JSON document before the room runs out. A grammar says what may come next, not how far
// the end is: a document still open when max_tokens or the context ends is cut, invalid. So the
// constraint tracks how deeply the document is open (each open string, array and object counts one)
// and, near the end of the room, narrows the grammar's mask to the tokens that close something,
// failing that to those that open nothing new and end a value (`,` `:` `]` `}` `"`), failing that to
// those that open nothing new, failing that to anything but blanks. The model still
// chooses among them; a document that needs more tokens to close than were left can still be cut
// (best effort, not a proof).
import type { Tokenizer } from '../../tokenizer/index.ts';

const QUOTE = 0x22, BACKSLASH = 0x5c;
const ADVANCE = new Set([0x2c, 0x3a, 0x5d, 0x7d, QUOTE]); // , : ] } "
const OPENERS = new Set([0x5b, 0x7b]), CLOSERS = new Set([0x5d, 0x7d]); // [ { and ] }

interface Lex { depth: number; inString: boolean; escaped: boolean }

/** Depth after `bytes` from state `s` (strings, arrays and objects each count one level). */
function lex(s: Lex, bytes: Uint8Array): Lex {
  let { depth, inString, escaped } = s;
  for (const b of bytes) {
    if (inString) {
      if (escaped) escaped = false;
      else if (b === BACKSLASH) escaped = true;
      else if (b === QUOTE) { inString = false; depth--; }
    } else if (b === QUOTE) { inString = true; depth++; }
    else if (OPENERS.has(b)) depth++;
    else if (CLOSERS.has(b)) depth--;
  }
  return { depth, inString, escaped };
}

interface VocabFacts {
  /** Ordinary tokens whose bytes can change the depth (quotes, backslashes, brackets, braces). */
  structural: Map<number, Uint8Array>;
  /** Tokens that hold a byte ending a value or a member (`,` `:` `]` `}` `"`). */
  advancing: Set<number>;
  /** Tokens of whitespace alone. */
  blank: Set<number>;
}

const factsOf = new WeakMap<Tokenizer, VocabFacts>();
const isBlank = (x: number) => x === 0x20 || x === 0x09 || x === 0x0a || x === 0x0d;

/** Computed once per vocabulary (JsonGrammars.for does it while preparing the grammar tables). */
export function vocabFacts(tok: Tokenizer): VocabFacts {
  let f = factsOf.get(tok);
  if (!f) {
    f = { structural: new Map(), advancing: new Set(), blank: new Set() };
    for (let id = 0; id < tok.vocabSize; id++) {
      if (tok.isSpecial(id)) continue;
      const b = tok.tokenBytes(id);
      if (b.some((x) => x === QUOTE || x === BACKSLASH || OPENERS.has(x) || CLOSERS.has(x))) f.structural.set(id, b);
      if (b.some((x) => ADVANCE.has(x))) f.advancing.add(id);
      if (b.length > 0 && b.every(isBlank)) f.blank.add(id);
    }
    factsOf.set(tok, f);
  }
  return f;
}

export class JsonCloser {
  #s: Lex = { depth: 0, inString: false, escaped: false };
  readonly #facts: VocabFacts;

  constructor(private readonly tok: Tokenizer) {
    this.#facts = vocabFacts(tok);
  }

  get depth(): number {
    return this.#s.depth;
  }

  /** Tokens to keep in reserve for closing: one per open level, plus slack for required members. */
  reserve(): number {
    return 24 + 4 * this.#s.depth;
  }

  push(id: number): void {
    if (!this.tok.isSpecial(id)) this.#s = lex(this.#s, this.tok.tokenBytes(id));
  }

  /**
   * Narrows a grammar-masked row (disallowed ids at -Infinity) to the allowed tokens that lower the
   * depth, else to those that keep it, else to any but blanks; unchanged when only blanks are left.
   */
  narrow(logits: Float32Array, limit: number): void {
    const d = this.#s.depth, { structural, advancing, blank } = this.#facts;
    const lower: number[] = [], advance: number[] = [], keep: number[] = [], other: number[] = [];
    for (let id = 0; id < limit; id++) {
      if (logits[id] === -Infinity || blank.has(id)) continue;
      const b = structural.get(id);
      const after = b ? lex(this.#s, b) : this.#s; // other tokens (specials included) keep the depth
      if (after.depth < d) lower.push(id);
      else if (after.depth === d && after.inString === this.#s.inString) (advancing.has(id) && !this.#s.inString ? advance : keep).push(id);
      else other.push(id);
    }
    const pick = [lower, advance, keep, other].find((ids) => ids.length > 0) ?? [];
    if (pick.length === 0) return;
    const saved = pick.map((id) => logits[id]);
    logits.fill(-Infinity, 0, limit);
    pick.forEach((id, i) => { logits[id] = saved[i]; });
  }
}
