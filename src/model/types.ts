// The canonical weight set: one config type (HF names, spec §1.1) and one record per tensor.
// Both readers (safetensors folder, GGUF) produce exactly this; the forward pass cannot tell them apart.
import type { Format } from './formats.ts';

export type LayerType = 'sliding_attention' | 'full_attention';

export interface ModelConfig {
  vocabSize: number; //          V
  hiddenSize: number; //         H
  numLayers: number; //          L
  numHeads: number; //           nq
  numKvHeads: number; //         nkv
  headDim: number; //            d (64; NOT hidden/heads, spec §9.10)
  numExperts: number; //         E
  expertsPerToken: number; //    top-k (4)
  intermediateSize: number; //   I, per expert
  swigluLimit: number; //        7.0
  swigluAlpha: number; //        1.702 (fixed by the architecture, spec §4.6)
  slidingWindow: number; //      keys visible on sliding layers, current token included (§4.5.6)
  layerTypes: LayerType[]; //    length L
  ropeTheta: number;
  rope: {
    factor: number; //           YaRN s
    betaFast: number;
    betaSlow: number;
    originalMaxPositions: number;
    truncate: boolean; //        false for gpt-oss (§4.5.3)
  } | null; //                   null = plain RoPE (no YaRN)
  rmsNormEps: number;
  maxPositions: number; //       context the model supports
  eosTokenId: number | null;
  padTokenId: number | null;
}

/**
 * One canonical tensor. Names (logical row-major shapes, last axis = the reduction axis):
 *   embed [V, H]        final_norm [H]       unembed [V, H]
 *   layers.{n}.attn_norm [H]                 layers.{n}.mlp_norm [H]
 *   layers.{n}.attn_q [nq·d, H]  .attn_q_bias [nq·d]   .attn_k/.attn_v [nkv·d, H] (+ _bias [nkv·d])
 *   layers.{n}.attn_o [H, nq·d]  .attn_o_bias [H]      .attn_sinks [nq]
 *   layers.{n}.router [E, H]     .router_bias [E]
 *   layers.{n}.experts_gate_up [E, 2I, H]  rows INTERLEAVED: row 2j = gate j, 2j+1 = up j (§3.4)
 *   layers.{n}.experts_gate_up_bias [E, 2I] (interleaved the same way)
 *   layers.{n}.experts_down [E, H, I]       .experts_down_bias [E, H]
 */
export interface WeightRecord {
  name: string;
  shape: number[];
  format: Format;
  /** Exact canonical byte size (formats.ts tensorBytes). */
  byteSize: number;
  /** Where it came from, for error messages: "file.gguf: blk.0.attn_q.weight". */
  origin: string;
  /**
   * Writes the canonical bytes into dst (dst.length === byteSize), reading the file in bounded
   * chunks (never the whole tensor twice in memory). `progress` is called after each chunk with
   * the bytes that chunk wrote (increments; they sum to byteSize).
   * Throws ModelLoadError on a short read.
   */
  fill(dst: Uint8Array, progress?: (bytes: number) => void): void;
  /**
   * Optional random access: the canonical bytes of rows [r0, r1) only, into dst (length
   * (r1 − r0) × bytes per row). A row is the last axis; leading axes are flattened ([E, R, C] has
   * E·R rows). Sources that can produce any row cheaply (synthetic checkpoints) offer it, so the
   * writers stream a tensor in bounded pieces instead of holding all of it.
   */
  fillRows?(dst: Uint8Array, r0: number, r1: number): void;
}

export interface Checkpoint {
  /** 'synthetic': generated in memory (src/synth/generator.ts), no file behind it. */
  kind: 'hf' | 'gguf' | 'synthetic';
  path: string;
  config: ModelConfig;
  tensors: Map<string, WeightRecord>;
  /** GGUF key/values (tokenizer.ggml.* etc.); for HF the parsed config.json. */
  metadata: Record<string, unknown>;
  /** Sum of byteSize over tensors. */
  totalBytes: number;
  close(): void;
}

/** A bad checkpoint: names the file, the tensor (when there is one) and the problem. */
export class ModelLoadError extends Error {
  constructor(public file: string, public tensor: string | null, public problem: string) {
    super(`${file}${tensor ? `: tensor ${tensor}` : ''}: ${problem}`);
    this.name = 'ModelLoadError';
  }
}

/**
 * Vectors of the canonical set: norms, biases and sinks (1-D, or the [E, n] expert biases).
 * Backends keep them as f32; everything else is a matrix kept in its stored format.
 */
export function isVector(rec: Pick<WeightRecord, 'name' | 'shape'>): boolean {
  return rec.shape.length === 1 || rec.name.endsWith('_bias');
}

/** Every canonical tensor a config needs, with its logical shape. */
export function expectedTensors(c: ModelConfig): Map<string, number[]> {
  const m = new Map<string, number[]>();
  const { hiddenSize: H, vocabSize: V, numHeads: nq, numKvHeads: nkv, headDim: d, numExperts: E, intermediateSize: I } = c;
  m.set('embed', [V, H]);
  m.set('final_norm', [H]);
  m.set('unembed', [V, H]);
  for (let n = 0; n < c.numLayers; n++) {
    const p = `layers.${n}.`;
    m.set(p + 'attn_norm', [H]);
    m.set(p + 'attn_q', [nq * d, H]);
    m.set(p + 'attn_q_bias', [nq * d]);
    m.set(p + 'attn_k', [nkv * d, H]);
    m.set(p + 'attn_k_bias', [nkv * d]);
    m.set(p + 'attn_v', [nkv * d, H]);
    m.set(p + 'attn_v_bias', [nkv * d]);
    m.set(p + 'attn_o', [H, nq * d]);
    m.set(p + 'attn_o_bias', [H]);
    m.set(p + 'attn_sinks', [nq]);
    m.set(p + 'mlp_norm', [H]);
    m.set(p + 'router', [E, H]);
    m.set(p + 'router_bias', [E]);
    m.set(p + 'experts_gate_up', [E, 2 * I, H]);
    m.set(p + 'experts_gate_up_bias', [E, 2 * I]);
    m.set(p + 'experts_down', [E, H, I]);
    m.set(p + 'experts_down_bias', [E, H]);
  }
  return m;
}
