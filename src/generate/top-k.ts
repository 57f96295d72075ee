// The k largest entries of a logit row, best first, lowest index first among equals (the same
// tie rule as argmax.ts). A bounded heap keeps it O(n log k) for the small k of top_k/top_logprobs;
// a whole f32 row (top_p over a flat distribution) is radix-sorted.

/** Indices of the `k` largest of x[0 … n), sorted best first. */
export function topIndices(x: ArrayLike<number>, k: number, n = x.length): Int32Array {
  k = Math.max(0, Math.min(k, n));
  const better = (i: number, j: number) => x[i] > x[j] || (x[i] === x[j] && i < j);
  if (k * 4 >= n) {
    if (x instanceof Float32Array) return sortedBestFirst(x, n).subarray(0, k);
    const all = Int32Array.from({ length: n }, (_, i) => i);
    return all.sort((i, j) => (better(i, j) ? -1 : better(j, i) ? 1 : 0)).subarray(0, k);
  }
  // Min-heap on "better": the root is the worst of the kept k.
  const heap = new Int32Array(k);
  let size = 0;
  const siftDown = (p: number) => {
    for (;;) {
      const l = 2 * p + 1, r = l + 1;
      let w = p;
      if (l < size && better(heap[w], heap[l])) w = l;
      if (r < size && better(heap[w], heap[r])) w = r;
      if (w === p) return;
      [heap[p], heap[w]] = [heap[w], heap[p]];
      p = w;
    }
  };
  for (let i = 0; i < n; i++) {
    if (size < k) {
      let c = size++;
      heap[c] = i;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!better(heap[p], heap[c])) break;
        [heap[p], heap[c]] = [heap[c], heap[p]];
        c = p;
      }
    } else if (better(i, heap[0])) {
      heap[0] = i;
      siftDown(0);
    }
  }
  return heap.sort((i, j) => (better(i, j) ? -1 : better(j, i) ? 1 : 0));
}

// Radix digits of the sort keys: two passes of 16 bits over u32 keys (11-bit digits, three passes,
// took 6-7 ms for a vocabulary row against 5 here).
const DIGIT = 16, BUCKETS = 1 << DIGIT;

/**
 * Every index of x[0 … n), best first, lowest index first among equals: an LSD radix sort (stable,
 * so equal values keep index order) of the f32 bits turned into keys that grow as the values fall.
 * −0 counts as +0 and NaN as the worst value. Sorting a vocabulary row with a comparator took 57 ms
 * (Bun, 201,088 logits); this takes about 5.
 */
export function sortedBestFirst(x: Float32Array, n = x.length): Int32Array {
  const bits = new Uint32Array(x.buffer, x.byteOffset, n), out = new Int32Array(n);
  // Scratch kept between calls: fresh arrays of a vocabulary row cost more in page faults than the sort.
  if (scratch.key.length < n) scratch = { ...scratch, key: new Uint32Array(n), key2: new Uint32Array(n), idx: new Int32Array(n), idx2: new Int32Array(n) };
  let { key, key2, idx, idx2 } = scratch;
  for (let i = 0; i < n; i++) {
    let b = bits[i];
    if (b === 0x80000000) b = 0; //                         −0 as +0
    // positives: larger bits, larger value, smaller key (below 2^31); negatives: larger bits,
    // smaller value, larger key (from 2^31 up)
    let k = (b & 0x80000000 ? b : ~b & 0x7fffffff) >>> 0;
    if (x[i] !== x[i]) k = 0xffffffff; //                   NaN: worst
    key[i] = k;
    idx[i] = i;
  }
  const count = scratch.count;
  for (let shift = 0; shift < 32; shift += DIGIT) {
    const last = shift + DIGIT >= 32, to = last ? out : idx2;
    count.fill(0);
    for (let i = 0; i < n; i++) count[(key[i] >>> shift) & (BUCKETS - 1)]++;
    for (let d = 0, at = 0; d < BUCKETS; d++) { const c = count[d]; count[d] = at; at += c; }
    for (let i = 0; i < n; i++) {
      const at = count[(key[i] >>> shift) & (BUCKETS - 1)]++;
      key2[at] = key[i];
      to[at] = idx[i];
    }
    [key, key2] = [key2, key];
    [idx, idx2] = [to, idx];
  }
  return out;
}
let scratch = { key: new Uint32Array(0), key2: new Uint32Array(0), idx: new Int32Array(0), idx2: new Int32Array(0), count: new Int32Array(BUCKETS) };
