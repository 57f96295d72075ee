// The k largest entries of a logit row, best first, lowest index first among equals (the same
// tie rule as argmax.ts). A bounded heap keeps it O(n log k) for the small k of top_k/top_logprobs.

/** Indices of the `k` largest of x[0 … n), sorted best first. */
export function topIndices(x: ArrayLike<number>, k: number, n = x.length): Int32Array {
  k = Math.max(0, Math.min(k, n));
  const better = (i: number, j: number) => x[i] > x[j] || (x[i] === x[j] && i < j);
  if (k * 4 >= n) {
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
