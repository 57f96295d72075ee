// Rank-ordered BPE merging in O(n log n) for a pre-token of n units (spec §5.3): repeatedly merge
// the adjacent pair of lowest rank, the leftmost among equal ranks — the procedure of tiktoken's
// `_byte_pair_merge` and of GPT-2's `bpe()`, which both rescan every pair after each merge and so
// take O(n²) on a long run without spaces (openai/tiktoken#195: 1 MB of "a" never finishes).
//
// Here parts are a linked list over unit offsets and every live pair sits once in an indexed
// min-heap keyed by (rank, start). A merge changes exactly three pairs — the merged one disappears,
// and the pairs that now end at / start from the merged part get new ranks — so each step is
// O(log n). The heap's minimum is, by its key, the lowest rank with the leftmost start among ties:
// the pair the rescanning loop would pick, so the merges happen in the same order and the result is
// identical (test/tokenizer-merge.test.ts checks it against the rescanning loop on random input).

/** Rank of merging the part [a, m) with the part [m, b), or -1 when there is no such merge. */
export type PairRank = (a: number, m: number, b: number) => number;

const NONE = -1;

class Scratch {
  next: Int32Array; //  end of the part starting at i (only meaningful for live starts)
  prev: Int32Array; //  start of the part before the one starting at i (-1 for the first)
  rank: Int32Array; //  rank of the pair starting at i, or -1
  heap: Int32Array; //  starts of the ranked pairs, as a binary min-heap
  where: Int32Array; // index of start i in `heap`, or -1
  constructor(readonly size: number) {
    this.next = new Int32Array(size + 1);
    this.prev = new Int32Array(size + 1);
    this.rank = new Int32Array(size + 1);
    this.heap = new Int32Array(size + 1);
    this.where = new Int32Array(size + 1);
  }
}

// Most pre-tokens are a few bytes: one small scratch space is kept; a long piece gets its own,
// which the collector takes back afterwards.
const KEPT = 4096;
let kept: Scratch | undefined;

/**
 * Merges n units (n ≥ 1) by rank and returns the start offsets of the resulting parts, in order
 * (each part ends where the next starts; the last ends at n).
 */
export function mergeByRank(n: number, rankOf: PairRank): number[] {
  if (n <= 1) return n === 1 ? [0] : [];
  const s = n <= KEPT ? (kept ??= new Scratch(KEPT)) : new Scratch(n);
  const { next, prev, rank, heap, where } = s;
  let size = 0;

  // Heap order: lower rank first, then lower start (leftmost).
  const less = (x: number, y: number) => rank[x] < rank[y] || (rank[x] === rank[y] && x < y);
  const place = (i: number, at: number) => { heap[i] = at; where[at] = i; };
  const up = (i: number) => {
    const at = heap[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(at, heap[p])) break;
      place(i, heap[p]);
      i = p;
    }
    place(i, at);
  };
  const down = (i: number) => {
    const at = heap[i];
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && less(heap[c + 1], heap[c])) c++;
      if (!less(heap[c], at)) break;
      place(i, heap[c]);
      i = c;
    }
    place(i, at);
  };
  const remove = (at: number) => {
    const i = where[at];
    if (i < 0) return;
    where[at] = NONE;
    const last = heap[--size];
    if (i === size) return;
    place(i, last);
    up(i);
    down(where[last]);
  };
  // Re-ranks the pair starting at `at` (after its right neighbour changed).
  const rerank = (at: number) => {
    const m = next[at];
    const r = m < n ? rankOf(at, m, next[m]) : NONE;
    if (r < 0) { remove(at); return; }
    rank[at] = r;
    if (where[at] < 0) { where[at] = size; heap[size++] = at; up(size - 1); } else { up(where[at]); down(where[at]); }
  };

  for (let i = 0; i < n; i++) { next[i] = i + 1; prev[i] = i - 1; where[i] = NONE; }
  for (let i = 0; i + 1 < n; i++) {
    const r = rankOf(i, i + 1, i + 2);
    if (r >= 0) { rank[i] = r; heap[size] = i; where[i] = size++; }
  }
  for (let i = (size >> 1) - 1; i >= 0; i--) down(i);

  while (size > 0) {
    const a = heap[0]; // the lowest-ranked pair, leftmost among ties: merge [a, m) and [m, b)
    const m = next[a];
    remove(a);
    remove(m);
    const b = next[m];
    next[a] = b;
    if (b < n) prev[b] = a;
    rerank(a);
    if (prev[a] >= 0) rerank(prev[a]);
  }

  const starts: number[] = [];
  for (let i = 0; i < n; i = next[i]) starts.push(i);
  return starts;
}
