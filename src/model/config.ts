// ModelConfig from an HF config.json (spec §1.1, with the §1.3 original-config names as aliases),
// and the sanity checks every reader runs on the config it built.
import { ModelLoadError, type LayerType, type ModelConfig } from './types.ts';

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Layer counts drive loops and per-layer arrays before any tensor is looked at, so an absurd one
 * from a corrupt file is refused up front (gpt-oss has 24 or 36).
 */
export const MAX_LAYERS = 4096;

/** Even layers slide, odd layers see everything (spec §1.4). */
export function alternatingLayers(n: number): LayerType[] {
  return Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 'sliding_attention' : 'full_attention'));
}

/** spec §1.1 / §1.3. `file` names config.json in errors. */
export function configFromHf(j: unknown, file: string): ModelConfig {
  const bad = (problem: string): never => {
    throw new ModelLoadError(file, null, problem);
  };
  if (!isObj(j)) bad('config is not a JSON object');
  const c = j as Json;
  const pick = (keys: string[]): unknown => {
    for (const k of keys) if (c[k] !== undefined && c[k] !== null) return c[k];
    return undefined;
  };
  const int = (...keys: string[]): number => {
    const v = pick(keys);
    if (v === undefined) bad(`missing ${keys.join(' / ')}`);
    if (!Number.isSafeInteger(v) || (v as number) <= 0) bad(`${keys[0]} must be a positive integer, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const num = (dflt: number | undefined, ...keys: string[]): number => {
    const v = pick(keys) ?? dflt;
    if (v === undefined) bad(`missing ${keys.join(' / ')}`);
    if (typeof v !== 'number' || !Number.isFinite(v)) bad(`${keys[0]} must be a number, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const tokenId = (key: string): number | null => {
    let v = c[key];
    if (Array.isArray(v)) v = v[0]; // generation_config style list: the first is the primary one
    if (v === undefined || v === null) return null;
    if (!Number.isSafeInteger(v) || (v as number) < 0) bad(`${key} must be a token id, got ${JSON.stringify(c[key])}`);
    return v as number;
  };

  const numLayers = int('num_hidden_layers');
  if (numLayers > MAX_LAYERS) bad(`num_hidden_layers ${numLayers} is implausible (more than ${MAX_LAYERS})`);
  // transformers v5 renamed rope_scaling → rope_parameters (spec §1.1, §9.4a): accept both.
  const rs = pick(['rope_scaling', 'rope_parameters']);
  if (rs !== undefined && !isObj(rs)) bad('rope_scaling must be an object');
  const rsObj = (rs ?? {}) as Json;
  const ropeTheta = c.rope_theta ?? rsObj.rope_theta; // v5 may fold rope_theta into rope_parameters
  if (typeof ropeTheta !== 'number' || !(ropeTheta > 0)) bad(`rope_theta must be a positive number, got ${JSON.stringify(ropeTheta)}`);
  let rope: ModelConfig['rope'] = null;
  const ropeType = rsObj.rope_type ?? rsObj.type;
  if (ropeType === 'yarn') {
    const f = (k: string, d?: number) => {
      const v = rsObj[k] ?? d;
      if (typeof v !== 'number' || !Number.isFinite(v)) bad(`rope_scaling.${k} must be a number, got ${JSON.stringify(v)}`);
      return v as number;
    };
    rope = {
      factor: f('factor'),
      betaFast: f('beta_fast', 32),
      betaSlow: f('beta_slow', 1),
      originalMaxPositions: f('original_max_position_embeddings', c.initial_context_length as number),
      // transformers defaults a missing `truncate` to true, but gpt-oss is defined without
      // truncation (spec §4.5.3), and every gpt-oss config states false.
      truncate: rsObj.truncate === true,
    };
  } else if (ropeType === undefined && c.rope_scaling_factor !== undefined) {
    // original/config.json (spec §1.3)
    rope = {
      factor: num(undefined, 'rope_scaling_factor'),
      betaFast: num(32, 'rope_ntk_beta'),
      betaSlow: num(1, 'rope_ntk_alpha'),
      originalMaxPositions: int('initial_context_length'),
      truncate: false,
    };
  } else if (ropeType !== undefined && ropeType !== 'default') {
    bad(`unsupported rope_scaling.rope_type ${JSON.stringify(ropeType)} (gpt-oss uses yarn)`);
  }

  const lt = c.layer_types;
  let layerTypes: LayerType[];
  if (lt === undefined) layerTypes = alternatingLayers(numLayers);
  else if (Array.isArray(lt)) layerTypes = lt as LayerType[];
  else return bad('layer_types must be a list');

  const maxPositions = pick(['max_position_embeddings']) !== undefined
    ? int('max_position_embeddings')
    : rope ? Math.round(rope.originalMaxPositions * rope.factor) : int('initial_context_length');

  return {
    vocabSize: int('vocab_size'),
    hiddenSize: int('hidden_size'),
    numLayers,
    numHeads: int('num_attention_heads'),
    numKvHeads: int('num_key_value_heads'),
    headDim: int('head_dim'), // required: NOT hidden/heads (spec §9.10)
    numExperts: int('num_local_experts', 'num_experts'),
    expertsPerToken: int('num_experts_per_tok', 'experts_per_token'),
    intermediateSize: int('intermediate_size'),
    swigluLimit: num(7, 'swiglu_limit'),
    swigluAlpha: 1.702, // fixed by the architecture, not in the config (spec §4.6)
    slidingWindow: int('sliding_window'),
    layerTypes,
    ropeTheta: ropeTheta as number,
    rope,
    rmsNormEps: num(1e-5, 'rms_norm_eps'),
    maxPositions,
    eosTokenId: tokenId('eos_token_id'),
    padTokenId: tokenId('pad_token_id'),
  };
}

/**
 * Sanity bounds on sizes, far beyond any gpt-oss (spec §1.1: V 201088, H 2880, 64 heads of 64,
 * 128 experts, 131072 positions); the sizes are cross-checked with the tensor shapes anyway
 * (validate.ts), these refuse an absurd value before anything is sized from it.
 */
const MAX_SIZE: Partial<Record<keyof ModelConfig, number>> = {
  vocabSize: 1 << 24, hiddenSize: 1 << 16, numHeads: 1024, numKvHeads: 1024, headDim: 1024, numExperts: 4096,
  expertsPerToken: 4096, intermediateSize: 1 << 18, slidingWindow: 1 << 24, maxPositions: 1 << 24,
};

/** Where each checked value comes from in a config.json (spec §1.1), for error messages. */
export const HF_KEYS: Record<string, string> = {
  vocabSize: 'vocab_size', hiddenSize: 'hidden_size', numLayers: 'num_hidden_layers', numHeads: 'num_attention_heads',
  numKvHeads: 'num_key_value_heads', headDim: 'head_dim', numExperts: 'num_local_experts', expertsPerToken: 'num_experts_per_tok',
  intermediateSize: 'intermediate_size', slidingWindow: 'sliding_window', maxPositions: 'max_position_embeddings',
  layerTypes: 'layer_types', ropeTheta: 'rope_theta', rmsNormEps: 'rms_norm_eps', swigluLimit: 'swiglu_limit',
  'rope.factor': 'rope_scaling.factor', 'rope.betaFast': 'rope_scaling.beta_fast', 'rope.betaSlow': 'rope_scaling.beta_slow',
  'rope.originalMaxPositions': 'rope_scaling.original_max_position_embeddings', eosTokenId: 'eos_token_id', padTokenId: 'pad_token_id',
};

/**
 * The checks every reader runs on the config it built. `file` names the source in errors, and
 * `keys` the key each value came from there (a config.json's by default). Values no tensor shape
 * confirms (eps, RoPE, window, context) must lie in the ranges the architecture gives them meaning
 * in, so that damage to one is an error rather than a quietly different model.
 */
export function validateConfig(c: ModelConfig, file: string, keys: Record<string, string> = HF_KEYS): void {
  const bad = (problem: string): never => {
    throw new ModelLoadError(file, null, `config: ${problem}`);
  };
  const n = (k: string) => keys[k] ?? k;
  const ints: (keyof ModelConfig)[] = ['vocabSize', 'hiddenSize', 'numLayers', 'numHeads', 'numKvHeads', 'headDim',
    'numExperts', 'expertsPerToken', 'intermediateSize', 'slidingWindow', 'maxPositions'];
  for (const k of ints) {
    const v = c[k];
    if (!Number.isSafeInteger(v) || (v as number) <= 0) bad(`${n(k)} must be a positive integer, got ${v}`);
    const max = MAX_SIZE[k];
    if (max !== undefined && (v as number) > max) bad(`${n(k)} ${v} is implausible (more than ${max})`);
  }
  if (c.numHeads % c.numKvHeads !== 0) bad(`${n('numHeads')} ${c.numHeads} is not a multiple of ${n('numKvHeads')} ${c.numKvHeads}`);
  if (c.headDim % 2 !== 0) bad(`${n('headDim')} ${c.headDim} must be even (rotate-half RoPE pairs, spec §4.5.1)`);
  if (c.expertsPerToken > c.numExperts) bad(`${n('expertsPerToken')} ${c.expertsPerToken} > ${n('numExperts')} ${c.numExperts}`);
  if (c.slidingWindow > c.maxPositions) bad(`${n('slidingWindow')} ${c.slidingWindow} exceeds the context of ${c.maxPositions} positions (${n('maxPositions')})`);
  if (c.layerTypes.length !== c.numLayers) bad(`${n('layerTypes')} has ${c.layerTypes.length} entries for ${c.numLayers} layers`);
  for (const t of c.layerTypes) if (t !== 'sliding_attention' && t !== 'full_attention') bad(`unknown layer type ${JSON.stringify(t)} in ${n('layerTypes')}`);
  // Ranges with room around gpt-oss's values (spec §1.1): RMSNorm eps 1e-5 (other transformer
  // families use 1e-12 … 1e-5); RoPE theta 150000, and > 1 so frequencies fall along the pairs
  // (§4.5.2); the SwiGLU clamp 7 (§4.6).
  const range = (k: string, v: number, lo: number, hi: number, loOpen = false) => {
    if (!Number.isFinite(v) || (loOpen ? v <= lo : v < lo) || v > hi) bad(`${n(k)} ${v} is outside ${loOpen ? '(' : '['}${lo}, ${hi}]`);
  };
  range('rmsNormEps', c.rmsNormEps, 1e-12, 1e-2);
  range('ropeTheta', c.ropeTheta, 1, 1e10, true);
  range('swigluLimit', c.swigluLimit, 0, 1e3, true);
  if (c.rope) {
    // YaRN (spec §4.5.2) as transformers validates it: factor ≥ 1; the ramp runs from the
    // beta_fast to the beta_slow correction dim, so beta_fast > beta_slow > 0; and the model is
    // defined up to original × factor positions.
    const r = c.rope;
    range('rope.factor', r.factor, 1, 1024);
    range('rope.betaSlow', r.betaSlow, 0, 1024, true);
    range('rope.betaFast', r.betaFast, 0, 1024, true);
    if (!(r.betaFast > r.betaSlow)) bad(`${n('rope.betaFast')} ${r.betaFast} must exceed ${n('rope.betaSlow')} ${r.betaSlow} (YaRN ramp, spec §4.5.2)`);
    const orig = r.originalMaxPositions;
    if (!Number.isSafeInteger(orig) || orig <= 0) bad(`${n('rope.originalMaxPositions')} must be a positive integer, got ${orig}`);
    if (orig > c.maxPositions) bad(`${n('rope.originalMaxPositions')} ${orig} exceeds ${n('maxPositions')} ${c.maxPositions}`);
    if (c.maxPositions > Math.round(orig * r.factor)) {
      bad(`${n('maxPositions')} ${c.maxPositions} exceeds ${n('rope.originalMaxPositions')} × ${n('rope.factor')} = ${Math.round(orig * r.factor)} (YaRN defines no more)`);
    }
  }
  for (const k of ['eosTokenId', 'padTokenId'] as const) {
    const v = c[k];
    if (v !== null && !(Number.isSafeInteger(v) && v >= 0 && v < c.vocabSize)) bad(`${n(k)} ${v} is not a token id below ${n('vocabSize')} ${c.vocabSize}`);
  }
}
