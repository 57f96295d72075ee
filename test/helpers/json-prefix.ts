// An independent scalar truth for the JSON masks: is a byte string a prefix of some document of a
// (small) schema's language? Written from the JSON grammar (RFC 8259) and the language the grammar
// compiler documents for a schema: members in the schema's order, optional ones skippable, no others
// (strict); whitespace is space, \n, \t, at most MAX_WS between two tokens; strings hold UTF-8 other
// than controls, `"` and `\`, or the escapes; enum values as JSON text. A backtracking matcher: each
// rule yields the positions where it can end, or EOF when the input ran out while it still matched.

export const EOF = -1;
export const MAX_WS = 16;
type M = (b: Uint8Array, i: number) => Iterable<number>;
type Schema = Record<string, unknown>;

const WS = new Set([0x20, 0x0a, 0x09]);

function ws(max = MAX_WS): M {
  return function* (b, i) {
    for (let k = 0; k <= max; k++) {
      yield i + k;
      if (i + k >= b.length || !WS.has(b[i + k])) return;
    }
  };
}

function lit(text: string): M {
  const t = new TextEncoder().encode(text);
  return function* (b, i) {
    for (let k = 0; k < t.length; k++) {
      if (i + k >= b.length) { yield EOF; return; }
      if (b[i + k] !== t[k]) return;
    }
    yield i + t.length;
  };
}

function seq(...ms: M[]): M {
  return function* (b, i) {
    if (ms.length === 0) { yield i; return; }
    const [first, ...rest] = ms;
    const tail = seq(...rest);
    for (const j of first(b, i)) {
      if (j === EOF) yield EOF;
      else yield* tail(b, j);
    }
  };
}

function alt(...ms: M[]): M {
  return function* (b, i) { for (const m of ms) yield* m(b, i); };
}

/**
 * The compiler's UTF-8 reading (xgrammar cpp/support/encoding.h): lead bytes C0–DF, E0–EF, F0–F7
 * start 2-, 3-, 4-byte sequences of 80–BF continuations, overlong forms included; the code point is
 * then checked against the string's class. (Invalid UTF-8 reaches the client as U+FFFD, still JSON.)
 */
function utf8Length(lead: number): number {
  return lead >= 0xc0 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf7 ? 4 : 0;
}

const HEX = /^[0-9a-fA-F]$/;
const string: M = function* (b, i) {
  if (i >= b.length) { yield EOF; return; }
  if (b[i] !== 0x22) return;
  let j = i + 1;
  for (;;) {
    if (j >= b.length) { yield EOF; return; }
    const c = b[j];
    if (c === 0x22) { yield j + 1; return; }
    if (c < 0x20) return;
    if (c === 0x5c) {
      if (j + 1 >= b.length) { yield EOF; return; }
      const e = String.fromCharCode(b[j + 1]);
      if ('"\\/bfnrt'.includes(e)) { j += 2; continue; }
      if (e !== 'u') return;
      for (let k = 0; k < 4; k++) {
        if (j + 2 + k >= b.length) { yield EOF; return; }
        if (!HEX.test(String.fromCharCode(b[j + 2 + k]))) return;
      }
      j += 6;
      continue;
    }
    if (c < 0x80) { j++; continue; }
    const n = utf8Length(c);
    if (!n) return;
    let cp = c & (0xff >> (n + 1));
    for (let k = 1; k < n; k++) {
      if (j + k >= b.length) { yield EOF; return; }
      if ((b[j + k] & 0xc0) !== 0x80) return;
      cp = (cp << 6) | (b[j + k] & 0x3f);
    }
    if (cp < 0x20 || cp === 0x22 || cp === 0x5c) return; // no upper bound: F5–F7 leads pass too
    j += n;
  }
};

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? — or the integer part alone. */
function number(integer: boolean): M {
  return function* (b, i) {
    let j = i;
    const end = () => j >= b.length;
    if (!end() && b[j] === 0x2d) j++;
    if (end()) { yield EOF; return; }
    if (b[j] === 0x30) {
      if (integer && j > i) return; // the grammar's integers have no -0
      j++;
    } else if (b[j] >= 0x31 && b[j] <= 0x39) {
      while (!end() && isDigit(b[j])) j++;
    } else return;
    yield j; // a complete integer part
    if (end()) { yield EOF; return; }
    if (integer) return;
    if (b[j] === 0x2e) {
      j++;
      if (end()) { yield EOF; return; }
      if (!isDigit(b[j])) return;
      while (!end() && isDigit(b[j])) j++;
      yield j;
      if (end()) { yield EOF; return; }
    }
    if (b[j] === 0x65 || b[j] === 0x45) {
      j++;
      if (!end() && (b[j] === 0x2b || b[j] === 0x2d)) j++;
      if (end()) { yield EOF; return; }
      if (!isDigit(b[j])) return;
      while (!end() && isDigit(b[j])) j++;
      yield j;
      if (end()) yield EOF;
    }
  };
}

function lazy(f: () => M): M {
  return (b, i) => f()(b, i);
}

function array(item: M, w: M): M {
  const more: M = lazy(() => alt(seq(w, lit(','), w, item, more), seq()));
  return alt(seq(lit('['), w, item, more, w, lit(']')), seq(lit('['), w, lit(']')));
}

/** Strict object: the schema's members in order, optional ones skippable. */
function object(s: Schema): M {
  const props = Object.entries((s.properties ?? {}) as Record<string, Schema>);
  const required = new Set((s.required ?? []) as string[]);
  const w = ws();
  const member = (k: number, first: boolean): M => {
    if (k === props.length) return seq();
    const [name, sub] = props[k];
    const take = seq(first ? seq() : seq(w, lit(','), w), lit(JSON.stringify(name)), w, lit(':'), w, value(sub), lazy(() => member(k + 1, false)));
    return required.has(name) ? take : alt(take, lazy(() => member(k + 1, first)));
  };
  return seq(lit('{'), w, member(0, true), w, lit('}'));
}

/** Any JSON value (the compiler's basic rules: whitespace unbounded). */
export const anyValue: M = lazy(() => {
  const w = ws(Infinity);
  const members: M = lazy(() => alt(seq(w, lit(','), w, string, w, lit(':'), w, anyValue, members), seq()));
  const obj = alt(seq(lit('{'), w, string, w, lit(':'), w, anyValue, members, w, lit('}')), seq(lit('{'), w, lit('}')));
  return alt(string, number(false), lit('true'), lit('false'), lit('null'), array(anyValue, w), obj);
});

export function value(s: Schema): M {
  if (Array.isArray(s.enum)) return alt(...s.enum.map((v) => lit(JSON.stringify(v))));
  if ('const' in s) return lit(JSON.stringify(s.const));
  if (Array.isArray(s.anyOf)) return alt(...(s.anyOf as Schema[]).map(value));
  switch (s.type) {
    case 'string': return string;
    case 'number': return number(false);
    case 'integer': return number(true);
    case 'boolean': return alt(lit('true'), lit('false'));
    case 'null': return lit('null');
    case 'array': return array(value((s.items ?? {}) as Schema), ws());
    case 'object': return s.properties ? object(s) : anyObject;
    default: return anyValue;
  }
}

export const anyObject: M = lazy(() => {
  const w = ws(Infinity);
  const members: M = lazy(() => alt(seq(w, lit(','), w, string, w, lit(':'), w, anyValue, members), seq()));
  return alt(seq(lit('{'), w, string, w, lit(':'), w, anyValue, members, w, lit('}')), seq(lit('{'), w, lit('}')));
});

/** Whether `bytes` is a whole document, and whether it can still grow into one. */
export function judge(m: M, bytes: Uint8Array): { complete: boolean; prefix: boolean } {
  let complete = false, prefix = false;
  for (const j of m(bytes, 0)) {
    if (j === bytes.length) complete = true;
    if (j === EOF) prefix = true;
    if (complete && prefix) break;
  }
  return { complete, prefix };
}
