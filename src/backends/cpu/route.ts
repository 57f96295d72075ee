// MoE routing on the host (spec §4.6): per token, the k largest router logits (ties: the lower
// expert id first, as a stable sort), softmax over those k only, then the tokens grouped by expert
// so each expert's matrices run once over all its tokens.

export class Routing {
  /** counts[e]: tokens routed to expert e in this batch. */
  readonly counts: Int32Array;
  /** toks[e·maxBatch + i], wts[e·maxBatch + i]: the i-th token of expert e and its routing weight. */
  readonly toks: Int32Array;
  readonly wts: Float32Array;
  /** slots[e·maxBatch + i]: that token's slot b·k + j (its j-th choice). */
  readonly slots: Int32Array;
  /** ids[b·k + j], weights[b·k + j]: token b's j-th expert (best first) and its weight. */
  readonly ids: Int32Array;
  readonly weights: Float32Array;
  private readonly top: Int32Array;
  private readonly val: Float64Array;

  constructor(readonly experts: number, readonly k: number, readonly maxBatch: number) {
    this.counts = new Int32Array(experts);
    this.toks = new Int32Array(experts * maxBatch);
    this.wts = new Float32Array(experts * maxBatch);
    this.slots = new Int32Array(experts * maxBatch);
    this.ids = new Int32Array(maxBatch * k);
    this.weights = new Float32Array(maxBatch * k);
    this.top = new Int32Array(k);
    this.val = new Float64Array(k);
  }

  /** Routes B tokens whose router logits (bias added) are logits[b·E + e]. */
  route(logits: Float32Array, B: number): void {
    const { experts: E, k: K, maxBatch, top, val, counts } = this;
    counts.fill(0);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < K; j++) { top[j] = -1; val[j] = -Infinity; }
      for (let e = 0; e < E; e++) {
        const g = logits[b * E + e];
        if (!(g > val[K - 1])) continue;
        let j = K - 1;
        while (j > 0 && g > val[j - 1]) { val[j] = val[j - 1]; top[j] = top[j - 1]; j--; }
        val[j] = g; top[j] = e;
      }
      let den = 0;
      for (let j = 0; j < K; j++) den += Math.exp(val[j] - val[0]);
      for (let j = 0; j < K; j++) {
        const e = top[j], n = counts[e]++, wt = Math.exp(val[j] - val[0]) / den;
        this.toks[e * maxBatch + n] = b;
        this.wts[e * maxBatch + n] = wt;
        this.slots[e * maxBatch + n] = b * K + j;
        this.ids[b * K + j] = e;
        this.weights[b * K + j] = wt;
      }
    }
  }
}
