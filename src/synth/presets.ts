// Shapes of synthetic checkpoints, as Hugging Face config.json objects (spec §1.1): the published
// gpt-oss-20b config, and presets as overrides of it. The config.json we write IS this object, and
// the ModelConfig comes from it through the same parser the HF reader uses (config.ts), so a
// preset cannot drift from what loading its file gives.
import { alternatingLayers, configFromHf, validateConfig } from '../model/config.ts';
import type { ModelConfig } from '../model/types.ts';

export type HfConfigJson = Record<string, unknown>;

/** openai/gpt-oss-20b config.json (spec §1.1), keys in the published (alphabetical) order. */
export function gptOss20bConfigJson(): HfConfigJson {
  return {
    architectures: ['GptOssForCausalLM'],
    attention_bias: true,
    attention_dropout: 0.0,
    eos_token_id: 200002,
    experts_per_token: 4,
    head_dim: 64,
    hidden_act: 'silu',
    hidden_size: 2880,
    initial_context_length: 4096,
    initializer_range: 0.02,
    intermediate_size: 2880,
    layer_types: alternatingLayers(24),
    max_position_embeddings: 131072,
    model_type: 'gpt_oss',
    num_attention_heads: 64,
    num_experts_per_tok: 4,
    num_hidden_layers: 24,
    num_key_value_heads: 8,
    num_local_experts: 32,
    output_router_logits: false,
    pad_token_id: 199999,
    quantization_config: {
      modules_to_not_convert: ['model.layers.*.self_attn', 'model.layers.*.mlp.router', 'model.embed_tokens', 'lm_head'],
      quant_method: 'mxfp4',
    },
    rms_norm_eps: 1e-5,
    rope_scaling: { beta_fast: 32.0, beta_slow: 1.0, factor: 32.0, original_max_position_embeddings: 4096, rope_type: 'yarn', truncate: false },
    rope_theta: 150000,
    router_aux_loss_coef: 0.9,
    sliding_window: 128,
    swiglu_limit: 7.0,
    tie_word_embeddings: false,
    transformers_version: '4.55.0.dev0',
    use_cache: true,
    vocab_size: 201088,
  };
}

/**
 * Presets = overrides of the 20b config. The real vocabulary (201088) keeps the o200k_harmony
 * layout, so the built-in tokenizer applies; the small-vocab ones are for tests only.
 */
export const PRESETS: Record<string, { about: string; overrides: HfConfigJson }> = {
  'gpt-oss-20b': { about: 'the real 20b shapes: 24 layers, 32 experts (13.76 GB HF)', overrides: {} },
  'gpt-oss-120b': { about: 'the real 120b shapes: 36 layers, 128 experts (65.2 GB HF)', overrides: { num_hidden_layers: 36, num_local_experts: 128 } },
  // Real widths (H = I = 2880, 64/8 heads of 64), cut down in depth, experts and vocabulary: the
  // row lengths and block counts of the real model at ~400 MB.
  small: {
    about: 'real widths, 2 layers, 4 experts, vocab 16384 (~400 MB)',
    overrides: { num_hidden_layers: 2, num_local_experts: 4, vocab_size: 16384, eos_token_id: 16372, pad_token_id: 16369 },
  },
  tiny: {
    about: 'H 64, 2 layers, 4 heads of 32 / 2 KV, 4 experts top-2, vocab 512 (tests)',
    overrides: {
      hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 32,
      num_local_experts: 4, num_experts_per_tok: 2, intermediate_size: 64, vocab_size: 512, sliding_window: 8,
      eos_token_id: 500, pad_token_id: 497,
    },
  },
  // The built-in demo: the real vocabulary and special ids, a toy body (src/synth/generator.ts).
  demo: {
    about: 'real vocab 201088, H 64, 2 layers, 4 heads of 64 / 1 KV, 4 experts top-2 (~52 MB, the `serve` demo)',
    overrides: {
      hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 1, head_dim: 64,
      num_local_experts: 4, num_experts_per_tok: 2, intermediate_size: 64,
    },
  },
};

/** `key=value` → [key, JSON value, or the raw string when it is not JSON]. */
export function parseSet(item: string): [string, unknown] {
  const eq = item.indexOf('=');
  if (eq <= 0) throw new Error(`--set needs key=value, got ${JSON.stringify(item)}`);
  const k = item.slice(0, eq), v = item.slice(eq + 1);
  try {
    return [k, JSON.parse(v)];
  } catch {
    return [k, v];
  }
}

/**
 * The config.json of `preset` with `sets` applied (HF key names). The two top-k spellings move
 * together, and layer_types follows num_hidden_layers unless it is set explicitly (spec §1.4).
 */
export function presetConfigJson(preset: string, sets: Record<string, unknown> = {}): HfConfigJson {
  const p = PRESETS[preset];
  if (!p) throw new Error(`unknown preset ${JSON.stringify(preset)} (have: ${Object.keys(PRESETS).join(', ')})`);
  const cfg = gptOss20bConfigJson();
  const all = { ...p.overrides, ...sets };
  for (const [k, v] of Object.entries(all)) {
    if (k === 'rope_scaling' && typeof v === 'object' && v !== null) cfg.rope_scaling = { ...(cfg.rope_scaling as object), ...v };
    else cfg[k] = v;
  }
  if ('num_experts_per_tok' in all && !('experts_per_token' in all)) cfg.experts_per_token = cfg.num_experts_per_tok;
  if ('experts_per_token' in all && !('num_experts_per_tok' in all)) cfg.num_experts_per_tok = cfg.experts_per_token;
  if (!('layer_types' in sets)) cfg.layer_types = alternatingLayers(cfg.num_hidden_layers as number);
  return cfg;
}

/** ModelConfig of an HF config object, with the checks every reader runs plus MXFP4's block rule. */
export function configOfJson(json: HfConfigJson, what = 'synthetic config'): ModelConfig {
  const c = configFromHf(json, what);
  validateConfig(c, what);
  for (const [k, v] of [['hidden_size', c.hiddenSize], ['intermediate_size', c.intermediateSize], ['num_attention_heads × head_dim', c.numHeads * c.headDim]] as const) {
    if (v % 32 !== 0) throw new Error(`${what}: ${k} = ${v} must be a multiple of 32 (MXFP4 / Q8_0 blocks, spec §3.3)`);
  }
  return c;
}

/**
 * config.json for any ModelConfig (e.g. converting a GGUF to an HF folder): the 20b schema with
 * every field the config determines replaced.
 */
export function configJsonOf(c: ModelConfig): HfConfigJson {
  const j = gptOss20bConfigJson();
  Object.assign(j, {
    eos_token_id: c.eosTokenId ?? undefined,
    experts_per_token: c.expertsPerToken,
    head_dim: c.headDim,
    hidden_size: c.hiddenSize,
    intermediate_size: c.intermediateSize,
    layer_types: c.layerTypes,
    max_position_embeddings: c.maxPositions,
    num_attention_heads: c.numHeads,
    num_experts_per_tok: c.expertsPerToken,
    num_hidden_layers: c.numLayers,
    num_key_value_heads: c.numKvHeads,
    num_local_experts: c.numExperts,
    pad_token_id: c.padTokenId ?? undefined,
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    sliding_window: c.slidingWindow,
    swiglu_limit: c.swigluLimit,
    vocab_size: c.vocabSize,
  });
  if (c.rope) {
    j.rope_scaling = { beta_fast: c.rope.betaFast, beta_slow: c.rope.betaSlow, factor: c.rope.factor,
      original_max_position_embeddings: c.rope.originalMaxPositions, rope_type: 'yarn', truncate: c.rope.truncate };
    j.initial_context_length = c.rope.originalMaxPositions;
  } else {
    delete j.rope_scaling;
  }
  return j;
}
