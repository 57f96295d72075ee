// The gpt-oss forward pass (spec §4), over the backend operations (backends/ops.ts). Reads top to
// bottom like §4.1; every intermediate is named through tap() so a golden diff points at the first
// wrong step, the MoE block step by step as llama.cpp's build_moe_ffn names them.
// Allocates nothing: buffers come from State (load time), K/V from the session's cache.
import type { Backend, Buf, KvCache } from '../backends/backend.ts';
import type { ModelConfig } from '../model/types.ts';
import { ropeTable, type RopeParams } from './rope.ts';
import type { Weights } from './weights.ts';

/** The wave of activations for up to maxBatch tokens (llama2.c's RunState). */
export interface State {
  x: Buf; //       [B, H]       residual stream
  xn: Buf; //      [B, H]       normed input of a block
  q: Buf; //       [B, nq·d]
  k: Buf; //       [B, nkv·d]
  v: Buf; //       [B, nkv·d]
  att: Buf; //     [B, nq·d]    attention output per head, concatenated (§4.5.7)
  y: Buf; //       [B, H]       block output before the residual add
  router: Buf; //  [B, E]       router logits
  expIds: Buf; //  [B, K]       the K experts of each token, best first (ids as f32)
  expWts: Buf; //  [B, K]       their routing weights
  gateUp: Buf; //  [B·K, 2I]    expert gate/up products, interleaved (§3.4)
  glu: Buf; //     [B·K, I]     clamped SwiGLU of them
  expOut: Buf; //  [B·K, H]     expert down products (bias added)
  logits: Buf; //  [R, V]       R = rows of logits per pass
  ids: Buf; //     [R, 1]       their argmax, for greedy steps that read back ids only
  cs: Float32Array; //          [B, d] RoPE cos/sin table of this batch
}

export function allocState(be: Backend, c: ModelConfig, maxBatch: number, logitRows: number): State {
  const H = c.hiddenSize, qd = c.numHeads * c.headDim, kvd = c.numKvHeads * c.headDim;
  const K = c.expertsPerToken, I = c.intermediateSize, slots = maxBatch * K;
  return {
    x: be.buffer(maxBatch, H), xn: be.buffer(maxBatch, H),
    q: be.buffer(maxBatch, qd), k: be.buffer(maxBatch, kvd), v: be.buffer(maxBatch, kvd),
    att: be.buffer(maxBatch, qd), y: be.buffer(maxBatch, H),
    router: be.buffer(maxBatch, c.numExperts), expIds: be.buffer(maxBatch, K), expWts: be.buffer(maxBatch, K),
    gateUp: be.buffer(slots, 2 * I), glu: be.buffer(slots, I), expOut: be.buffer(slots, H),
    logits: be.buffer(logitRows, c.vocabSize), ids: be.buffer(logitRows, 1),
    cs: new Float32Array(maxBatch * c.headDim),
  };
}

/** Sees an intermediate: `rows` rows of `t` (B, or B·K for the per-expert steps). */
export type Tap = (name: string, layer: number, t: Buf, rows: number) => void;

/**
 * Rows [r0, r0 + n) of a batch: one session's tokens at positions pos0… of its cache. A batch is
 * one part (a prompt chunk) or several (the decode steps of several sessions, a chunk beside them).
 */
export interface Part { cache: KvCache; pos0: number; r0: number; n: number }

/**
 * Runs the B tokens of `parts` through the model, leaving the final normed hidden states in s.xn.
 * Logits are computed by unembed() for the rows a caller wants. Every op but attention sees the
 * whole batch; attention runs per part, on that session's cache. The caller has checked the ids
 * and that every part fits its cache (engine/engine.ts).
 */
export function forward(be: Backend, c: ModelConfig, w: Weights, rope: RopeParams, s: State,
  ids: Int32Array, parts: readonly Part[], B: number, tap?: Tap): void {
  const eps = c.rmsNormEps, K = c.expertsPerToken, d = c.headDim;
  be.embed(w.embed, ids, B, s.x); //                                      §4.2 h = Embed[token]
  tap?.('embed', -1, s.x, B);
  for (const p of parts) ropeTable(rope, p.pos0, p.n, s.cs.subarray(p.r0 * d));
  const cs = s.cs.subarray(0, B * d);
  const rows = (b: Buf, p: Part) => (parts.length === 1 ? b : be.view(b, p.r0, p.n));
  for (let l = 0; l < c.numLayers; l++) {
    const L = w.layers[l], m = L.moe;
    // attention block (§4.4–§4.5)
    be.rmsnorm(s.x, L.attnNorm, s.xn, B, eps); tap?.('attn_norm', l, s.xn, B);
    be.matmul(L.q, s.xn, s.q, B, L.qBias);
    be.matmul(L.k, s.xn, s.k, B, L.kBias);
    be.matmul(L.v, s.xn, s.v, B, L.vBias);
    be.rope(s.q, c.numHeads, d, cs, B); tap?.('q_rope', l, s.q, B); //            §4.5.1 q and k, not v
    be.rope(s.k, c.numKvHeads, d, cs, B); tap?.('k_rope', l, s.k, B);
    for (const p of parts) be.attention(p.cache, l, rows(s.q, p), rows(s.k, p), rows(s.v, p), L.sinks, rows(s.att, p), p.pos0, p.n, L.window);
    tap?.('attn', l, s.att, B);
    be.matmul(L.o, s.att, s.y, B, L.oBias); tap?.('attn_out', l, s.y, B); //      §4.5.7
    be.add(s.x, s.y, B);
    // mixture-of-experts block (§4.6)
    be.rmsnorm(s.x, L.mlpNorm, s.xn, B, eps); tap?.('mlp_norm', l, s.xn, B);
    be.matmul(m.router, s.xn, s.router, B, m.routerBias); tap?.('moe_logits', l, s.router, B); //  g = m·Wrᵀ + br
    be.route(s.router, s.expIds, s.expWts, B, K); //                                              top-K, softmax over the K
    tap?.('moe_topk', l, s.expIds, B); tap?.('moe_weights', l, s.expWts, B);
    be.expertMatmul(m.gateUp, s.xn, s.expIds, s.gateUp, B, m.gateUpBias, 'token'); //           u = m·W1[e]ᵀ + b1[e]
    tap?.('moe_gate_up', l, s.gateUp, B * K);
    be.swiglu(s.gateUp, s.glu, B * K, c.swigluAlpha, c.swigluLimit); tap?.('moe_swiglu', l, s.glu, B * K);
    be.expertMatmul(m.down, s.glu, s.expIds, s.expOut, B, m.downBias, 'slot'); //                o_e = act·W2[e]ᵀ + b2[e]
    tap?.('moe_down', l, s.expOut, B * K);
    be.combine(s.expOut, s.expIds, s.expWts, s.y, B, K); tap?.('moe_out', l, s.y, B); //           y = Σ_j wts[j]·o_e
    be.add(s.x, s.y, B); tap?.('residual', l, s.x, B);
  }
  be.rmsnorm(s.x, w.finalNorm, s.xn, B, eps); tap?.('final_norm', -1, s.xn, B); // §4.7
}

/** Logits of rows [r0, r0 + n) of s.xn (n ≤ s.logits.rows) into s.logits (§4.7, no bias), read back (into `into`). */
export function unembed(be: Backend, w: Weights, s: State, r0: number, n: number, into?: Float32Array): Promise<Float32Array> {
  be.matmul(w.unembed, be.view(s.xn, r0, n), s.logits, n, null);
  return be.read(s.logits, n, into);
}

/** The greedy tokens of rows [r0, r0 + n): ids < limit, computed where the logits are; only n values come back. */
export function unembedArgmax(be: Backend, w: Weights, s: State, r0: number, n: number, limit: number): Promise<Float32Array> {
  be.matmul(w.unembed, be.view(s.xn, r0, n), s.logits, n, null);
  be.argmax(s.logits, s.ids, n, limit);
  return be.read(s.ids, n);
}
