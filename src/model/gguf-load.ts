// llama.cpp gpt-oss GGUF → canonical weight set: config from metadata (spec §7.2), tensors by
// name (§7.3). Types map one to one (canonical layouts are GGML's blocks); gate/up, split or
// concatenated in the file, are re-interleaved by row on fill (§3.4).
import { MAX_LAYERS, alternatingLayers, validateConfig } from './config.ts';
import { FORMATS, rowBytes, type Format } from './formats.ts';
import { GGML_TYPES, readGguf, type GgufTensorInfo } from './gguf.ts';
import { ModelFile, releaseScratch } from './io.ts';
import { aliasRecord, copyFill, interleaveFill, makeRecord, type HalfSource } from './records.ts';
import { ModelLoadError, type Checkpoint, type ModelConfig, type WeightRecord } from './types.ts';
import { validateTensors } from './validate.ts';

const LOADABLE = Object.values(GGML_TYPES).filter((t) => t.format).map((t) => t.name).join(', ');

// GGUF name (after `blk.{n}.`) → canonical suffix (spec §7.3). gate/up are handled apart.
const LAYER: Record<string, string> = {
  'attn_norm.weight': 'attn_norm',
  'attn_q.weight': 'attn_q', 'attn_q.bias': 'attn_q_bias',
  'attn_k.weight': 'attn_k', 'attn_k.bias': 'attn_k_bias',
  'attn_v.weight': 'attn_v', 'attn_v.bias': 'attn_v_bias',
  'attn_output.weight': 'attn_o', 'attn_output.bias': 'attn_o_bias',
  'attn_sinks.weight': 'attn_sinks',
  'post_attention_norm.weight': 'mlp_norm',
  'ffn_gate_inp.weight': 'router', 'ffn_gate_inp.bias': 'router_bias',
  'ffn_down_exps.weight': 'experts_down', 'ffn_down_exps.bias': 'experts_down_bias',
  'ffn_gate_exps.weight': 'experts_gate_up', 'ffn_gate_exps.bias': 'experts_gate_up_bias',
};
const GLOBAL: Record<string, string> = { 'token_embd.weight': 'embed', 'output_norm.weight': 'final_norm', 'output.weight': 'unembed' };

/** GGUF tensor name a canonical tensor comes from (for "missing" messages and the writer). */
export function ggufNameOf(canonical: string): string {
  for (const [k, v] of Object.entries(GLOBAL)) if (v === canonical) return k;
  const m = /^layers\.(\d+)\.(.+)$/.exec(canonical);
  if (m) for (const [k, v] of Object.entries(LAYER)) if (v === m[2]) return `blk.${m[1]}.${k}`;
  return canonical;
}

/** Where configFromGguf takes each checked value from (spec §7.2), for validateConfig's messages. */
const GGUF_KEYS: Record<string, string> = {
  vocabSize: 'token_embd.weight rows', hiddenSize: 'gpt-oss.embedding_length', numLayers: 'gpt-oss.block_count',
  numHeads: 'gpt-oss.attention.head_count', numKvHeads: 'gpt-oss.attention.head_count_kv', headDim: 'gpt-oss.attention.key_length',
  numExperts: 'gpt-oss.expert_count', expertsPerToken: 'gpt-oss.expert_used_count', intermediateSize: 'gpt-oss.expert_feed_forward_length',
  slidingWindow: 'gpt-oss.attention.sliding_window', maxPositions: 'gpt-oss.context_length', ropeTheta: 'gpt-oss.rope.freq_base',
  rmsNormEps: 'gpt-oss.attention.layer_norm_rms_epsilon', 'rope.factor': 'gpt-oss.rope.scaling.factor',
  'rope.betaFast': 'gpt-oss.rope.scaling.yarn_beta_fast', 'rope.betaSlow': 'gpt-oss.rope.scaling.yarn_beta_slow',
  'rope.originalMaxPositions': 'gpt-oss.rope.scaling.original_context_length',
  eosTokenId: 'tokenizer.ggml.eos_token_id', padTokenId: 'tokenizer.ggml.padding_token_id',
};

/** Config from metadata (spec §7.2); `vocab` comes from token_embd's shape. */
function configFromGguf(meta: Record<string, unknown>, path: string, vocab: number | undefined): ModelConfig {
  const bad = (problem: string): never => {
    throw new ModelLoadError(path, null, problem);
  };
  const arch = meta['general.architecture'];
  if (arch === undefined) bad('missing metadata key general.architecture');
  if (arch === 'gptoss') {
    // Ollama's 2025 dialect (spec §9.19): other tensor names, fused gate_up, HF nibble order.
    bad("architecture 'gptoss' (Ollama's own gpt-oss dialect) is not supported; use a llama.cpp 'gpt-oss' GGUF or the HF checkpoint");
  }
  if (arch !== 'gpt-oss') bad(`general.architecture ${JSON.stringify(arch)} is not gpt-oss`);
  const get = (key: string, dflt?: number): number => {
    const v = meta[`gpt-oss.${key}`] ?? dflt;
    if (v === undefined) bad(`missing metadata key gpt-oss.${key}`);
    if (typeof v !== 'number' || !Number.isFinite(v)) bad(`metadata gpt-oss.${key} must be a number, got ${JSON.stringify(String(v))}`);
    return v as number;
  };
  // f32 metadata read back as the shortest decimal that rounds to the same f32, so that
  // rms_norm_eps 1e-5 from config.json and its f32 copy in a GGUF give one and the same config.
  const f32 = (key: string, dflt?: number): number => shortestF32(get(key, dflt));
  const tokenId = (key: string): number | null => {
    const v = meta[`tokenizer.ggml.${key}`];
    return typeof v === 'number' ? v : null;
  };
  const numLayers = get('block_count');
  if (!Number.isSafeInteger(numLayers) || numLayers < 1 || numLayers > MAX_LAYERS) bad(`gpt-oss.block_count ${numLayers} is implausible`);
  const scaling = meta['gpt-oss.rope.scaling.type'];
  let rope: ModelConfig['rope'] = null;
  if (scaling === 'yarn') {
    rope = {
      factor: f32('rope.scaling.factor'),
      betaFast: f32('rope.scaling.yarn_beta_fast', 32), // optional: older converters omit both
      betaSlow: f32('rope.scaling.yarn_beta_slow', 1),
      originalMaxPositions: get('rope.scaling.original_context_length'),
      truncate: false, // gpt-oss semantics (spec §4.5.3), whatever llama.cpp does
    };
  } else if (scaling !== undefined && scaling !== 'none') {
    bad(`unsupported gpt-oss.rope.scaling.type ${JSON.stringify(scaling)}`);
  }
  if (vocab === undefined) {
    const toks = meta['tokenizer.ggml.tokens'];
    vocab = Array.isArray(toks) ? toks.length : bad('missing tensor token_embd.weight (the vocabulary size comes from it)');
  }
  return {
    vocabSize: vocab,
    hiddenSize: get('embedding_length'),
    numLayers,
    numHeads: get('attention.head_count'),
    numKvHeads: get('attention.head_count_kv'),
    headDim: get('attention.key_length'), // required: the default (hidden/heads) is wrong (§9.10)
    numExperts: get('expert_count'),
    expertsPerToken: get('expert_used_count'),
    intermediateSize: meta['gpt-oss.expert_feed_forward_length'] !== undefined ? get('expert_feed_forward_length') : get('feed_forward_length'),
    swigluLimit: 7, // not in llama.cpp metadata: fixed by the architecture (spec §1.1, §4.6)
    swigluAlpha: 1.702,
    slidingWindow: get('attention.sliding_window'),
    layerTypes: alternatingLayers(numLayers), // not in metadata: even layers slide (spec §7.2)
    ropeTheta: f32('rope.freq_base'),
    rope,
    rmsNormEps: f32('attention.layer_norm_rms_epsilon'),
    maxPositions: get('context_length'),
    eosTokenId: tokenId('eos_token_id'),
    padTokenId: tokenId('padding_token_id'),
  };
}

/**
 * Metadata the config does not carry but must agree with it, as llama.cpp requires: V = K head
 * width (the engine has one headDim), and one vocabulary entry per embedding row.
 */
function checkMetadata(meta: Record<string, unknown>, c: ModelConfig, path: string): void {
  const bad = (problem: string): never => {
    throw new ModelLoadError(path, null, problem);
  };
  const vlen = meta['gpt-oss.attention.value_length'];
  if (vlen !== undefined && vlen !== c.headDim) bad(`metadata gpt-oss.attention.value_length ${String(vlen)} differs from attention.key_length ${c.headDim}`);
  const tokens = meta['tokenizer.ggml.tokens'];
  if (tokens === undefined) return;
  if (!Array.isArray(tokens)) return bad('metadata tokenizer.ggml.tokens is not an array');
  if (tokens.length !== c.vocabSize) bad(`metadata tokenizer.ggml.tokens has ${tokens.length} entries but token_embd.weight has ${c.vocabSize} rows`);
  for (const k of ['tokenizer.ggml.token_type', 'tokenizer.ggml.scores']) {
    const a = meta[k];
    if (a !== undefined && (!Array.isArray(a) || a.length !== tokens.length)) {
      bad(`metadata ${k} has ${Array.isArray(a) ? a.length : 'no'} entries for ${tokens.length} tokens`);
    }
  }
}

function shortestF32(v: number): number {
  const f = Math.fround(v);
  for (let p = 1; p < 10; p++) {
    const d = Number(f.toPrecision(p));
    if (Math.fround(d) === f) return d;
  }
  return f;
}

export function loadGguf(path: string): Checkpoint {
  const file = new ModelFile(path);
  const close = () => {
    file.close();
    releaseScratch();
  };
  try {
    const g = readGguf(file);
    const byName = new Map(g.tensors.map((t) => [t.name, t]));
    const config = configFromGguf(g.metadata, path, byName.get('token_embd.weight')?.ne[1]);
    validateConfig(config, path, GGUF_KEYS);
    checkMetadata(g.metadata, config, path);
    const found = buildRecords(file, config, byName);
    const tensors = validateTensors(path, config, found, ggufNameOf);
    let totalBytes = 0;
    for (const r of tensors.values()) totalBytes += r.byteSize;
    return { kind: 'gguf', path, config, tensors, metadata: g.metadata, totalBytes, close };
  } catch (e) {
    close();
    throw e;
  }
}

function buildRecords(file: ModelFile, c: ModelConfig, byName: Map<string, GgufTensorInfo>): Map<string, WeightRecord> {
  const out = new Map<string, WeightRecord>();
  const bad = (t: string, problem: string): never => {
    throw new ModelLoadError(file.path, t, problem);
  };
  const formatOf = (t: GgufTensorInfo): Format =>
    GGML_TYPES[t.type].format ?? bad(t.name, `GGML type ${GGML_TYPES[t.type].name} is not supported (loadable: ${LOADABLE})`);
  const shapeOf = (t: GgufTensorInfo) => [...t.ne].reverse(); // ne is innermost-first
  const span = (t: GgufTensorInfo, extra = 0) => ({ file, offset: t.offset + extra, name: t.name });

  for (const t of byName.values()) {
    const m = /^blk\.(\d+)\.(.+)$/.exec(t.name);
    const name = m ? (m[2] in LAYER ? `layers.${m[1]}.${LAYER[m[2]]}` : null) : (GLOBAL[t.name] ?? null);
    if (name === null) continue; // unexpected extras are ignored
    if (/ffn_gate_exps/.test(t.name)) {
      const up = byName.get(t.name.replace('ffn_gate_exps', 'ffn_up_exps')) ?? bad(t.name.replace('ffn_gate_exps', 'ffn_up_exps'), 'missing (gate has no up half)');
      if (up.type !== t.type || up.ne.join() !== t.ne.join()) bad(up.name, `type/shape (${up.type}, [${up.ne}]) differ from ${t.name} (${t.type}, [${t.ne}])`);
      out.set(name, gateUp(file, name, t, up, formatOf(t), shapeOf(t), false, bad));
    } else {
      out.set(name, makeRecord({ file: file.path, tensor: t.name }, name, shapeOf(t), formatOf(t), copyFill(span(t), formatOf(t))));
    }
  }
  // The newer concatenated variant: per expert all gate rows, then all up rows (spec §7.3).
  for (let n = 0; n < c.numLayers; n++) {
    for (const kind of ['weight', 'bias'] as const) {
      const t = byName.get(`blk.${n}.ffn_gate_up_exps.${kind}`);
      const name = `layers.${n}.experts_gate_up${kind === 'bias' ? '_bias' : ''}`;
      if (t && !out.has(name)) out.set(name, gateUp(file, name, t, t, formatOf(t), shapeOf(t), true, bad));
    }
  }
  // No output.weight: llama.cpp then unembeds with token_embd (tied embeddings).
  const embed = out.get('embed');
  if (!out.has('unembed') && embed) out.set('unembed', aliasRecord(embed, 'unembed'));
  return out;
}

/**
 * gate/up → interleaved [E, 2I, ...]. `shape` is the logical shape of `gate` ([E, I, H] weight or
 * [E, I] bias), or of the fused tensor ([E, 2I, ...]) when `concat`.
 */
function gateUp(file: ModelFile, name: string, gate: GgufTensorInfo, up: GgufTensorInfo, fmt: Format, shape: number[],
  concat: boolean, bad: (t: string, p: string) => never): WeightRecord {
  const isBias = name.endsWith('_bias');
  if (shape.length !== (isBias ? 2 : 3)) bad(gate.name, `expected ${isBias ? 2 : 3} dims, got ne [${gate.ne}]`);
  if (isBias && FORMATS[fmt].blockElems !== 1) bad(gate.name, `format ${fmt} not allowed for a bias`);
  const [E, rows] = shape;
  if (concat && rows % 2 !== 0) bad(gate.name, `fused gate/up has an odd row count ${rows}`);
  const units = concat ? rows / 2 : rows;
  const unitBytes = isBias ? FORMATS[fmt].blockBytes : rowBytes(fmt, shape[2]);
  const stride = units * unitBytes * (concat ? 2 : 1);
  const g: HalfSource = { file, offset: gate.offset, name: gate.name, expertStride: stride };
  const u: HalfSource = { file, offset: up.offset + (concat ? units * unitBytes : 0), name: up.name, expertStride: stride };
  const outShape = isBias ? [E, 2 * units] : [E, 2 * units, shape[2]];
  const src = { file: file.path, tensor: gate.name, note: concat ? '(gate/up halves)' : `+ ${up.name}` };
  return makeRecord(src, name, outShape, fmt, interleaveFill(g, u, E, units, unitBytes, fmt));
}
