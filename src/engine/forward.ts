// The gpt-oss forward pass (spec §4), over the backend interface. Reads top to bottom like §4.1;
// every intermediate is named through tap() so a golden diff points at the first wrong step.
// Allocates nothing: buffers come from State (load time), K/V from the session's cache.
import type { ModelConfig } from '../model/types.ts';
import type { Backend, Buf, KvCache } from './backend.ts';
import { ropeTable, type RopeParams } from './rope.ts';
import type { Weights } from './weights.ts';

/** The wave of activations for up to maxBatch tokens (llama2.c's RunState). */
export interface State {
  x: Buf; //      [B, H]      residual stream
  xn: Buf; //     [B, H]      normed input of a block
  q: Buf; //      [B, nq·d]
  k: Buf; //      [B, nkv·d]
  v: Buf; //      [B, nkv·d]
  att: Buf; //    [B, nq·d]   attention output per head, concatenated (§4.5.7)
  y: Buf; //      [B, H]      block output before the residual add
  logits: Buf; // [R, V]      R = rows of logits per pass
  cs: Float32Array; //        [B, d] RoPE cos/sin table of this batch
}

export function allocState(be: Backend, c: ModelConfig, maxBatch: number, logitRows: number): State {
  const H = c.hiddenSize, qd = c.numHeads * c.headDim, kvd = c.numKvHeads * c.headDim;
  return {
    x: be.buffer(maxBatch, H), xn: be.buffer(maxBatch, H),
    q: be.buffer(maxBatch, qd), k: be.buffer(maxBatch, kvd), v: be.buffer(maxBatch, kvd),
    att: be.buffer(maxBatch, qd), y: be.buffer(maxBatch, H),
    logits: be.buffer(logitRows, c.vocabSize),
    cs: new Float32Array(maxBatch * c.headDim),
  };
}

export type Tap = (name: string, layer: number, t: Buf, B: number) => void;

/**
 * Runs B tokens at positions pos0… through the model, leaving the final normed hidden states in
 * s.xn. Logits are computed by unembed() for the rows a caller wants.
 */
export function forward(be: Backend, c: ModelConfig, w: Weights, rope: RopeParams, s: State, cache: KvCache,
  ids: ArrayLike<number>, pos0: number, B: number, tap?: Tap): void {
  const eps = c.rmsNormEps;
  be.embed(w.embed, ids, B, s.x); //                                      §4.2 h = Embed[token]
  tap?.('embed', -1, s.x, B);
  ropeTable(rope, pos0, B, s.cs);
  for (let l = 0; l < c.numLayers; l++) {
    const L = w.layers[l];
    // attention block (§4.4–§4.5)
    be.rmsnorm(s.x, L.attnNorm, s.xn, B, eps); tap?.('attn_norm', l, s.xn, B);
    be.matmul(L.q, s.xn, s.q, B, L.qBias);
    be.matmul(L.k, s.xn, s.k, B, L.kBias);
    be.matmul(L.v, s.xn, s.v, B, L.vBias);
    be.rope(s.q, c.numHeads, c.headDim, s.cs, B); tap?.('q_rope', l, s.q, B); //  §4.5.1 q and k, not v
    be.rope(s.k, c.numKvHeads, c.headDim, s.cs, B); tap?.('k_rope', l, s.k, B);
    be.attention(cache, l, s.q, s.k, s.v, L.sinks, s.att, pos0, B, L.window); tap?.('attn', l, s.att, B);
    be.matmul(L.o, s.att, s.y, B, L.oBias); tap?.('attn_out', l, s.y, B); //       §4.5.7
    be.add(s.x, s.y, B);
    // mixture-of-experts block (§4.6)
    be.rmsnorm(s.x, L.mlpNorm, s.xn, B, eps); tap?.('mlp_norm', l, s.xn, B);
    be.moe(s.xn, L.moe, s.y, B, c); tap?.('moe_out', l, s.y, B);
    be.add(s.x, s.y, B); tap?.('residual', l, s.x, B);
  }
  be.rmsnorm(s.x, w.finalNorm, s.xn, B, eps); tap?.('final_norm', -1, s.xn, B); // §4.7
}

/** Logits of rows [r0, r0 + n) of s.xn (n ≤ s.logits.rows) into s.logits (§4.7, no bias). */
export function unembed(be: Backend, w: Weights, s: State, r0: number, n: number): Promise<Float32Array> {
  be.matmul(w.unembed, be.view(s.xn, r0, n), s.logits, n);
  return be.read(s.logits, n);
}
