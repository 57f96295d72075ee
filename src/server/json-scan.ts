// Measures untrusted JSON without building it: nesting depth from the text (so a body nested
// 10,000 deep is refused before JSON.parse recurses through it), and, on a parsed value, depth and
// total string bytes with an explicit stack (no recursion, linear in the value's size).

// The body the guard parsed, handed to the route's parseBody once so a large body is parsed once.
let handed: { text: string; value: unknown } | null = null;

/** JSON.parse, reusing the value `handOver` left for this very text (then forgetting it). */
export function parseJson(text: string): unknown {
  const h = handed;
  handed = null;
  return h !== null && h.text === text ? h.value : JSON.parse(text);
}

/** Leaves a parsed body for the next parseJson of the same text; `null` forgets it. */
export function handOver(text: string | null, value?: unknown): void {
  handed = text === null ? null : { text, value };
}

/** Deepest {/[ nesting in JSON text (brackets inside strings do not count). Linear, no parsing. */
export function jsonTextDepth(text: string, stopAbove = Infinity): number {
  let depth = 0, max = 0, inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max && (max = depth) > stopAbove) return max;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

export interface ValueStats { depth: number; stringBytes: number }

/** Depth (a scalar is 0, `{}` is 1) and the UTF-8 bytes of every string (keys excluded). */
export function valueStats(v: unknown): ValueStats {
  let depth = 0, stringBytes = 0;
  const stack: Array<[unknown, number]> = [[v, 0]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (typeof x === 'string') stringBytes += utf8Length(x);
    else if (x !== null && typeof x === 'object') {
      if (d + 1 > depth) depth = d + 1;
      for (const y of Array.isArray(x) ? x : Object.values(x)) if (y !== null && (typeof y === 'object' || typeof y === 'string')) stack.push([y, d + 1]);
    }
  }
  return { depth, stringBytes };
}

/** UTF-8 length of a string without encoding it (a lone surrogate counts 3, as U+FFFD). */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) { n += 2; i++; } // pair: 2 units → 4 bytes
    else n += 2;
  }
  return n;
}
