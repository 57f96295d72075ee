// Hugging Face folder → canonical weight set: config.json + one or more .safetensors files
// (spec §2). Also reads OpenAI's `original/` layout (spec §2.4), whose fused qkv is split by rows.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { configFromHf, validateConfig } from './config.ts';
import { rowBytes, type Format } from './formats.ts';
import { ModelFile, errorText, releaseScratch } from './io.ts';
import { aliasRecord, copyFill, hfMxfp4Fill, makeRecord, transposeFill, type Span } from './records.ts';
import { readSafetensorsHeader, type StEntry } from './safetensors.ts';
import { ModelLoadError, type Checkpoint, type ModelConfig, type WeightRecord } from './types.ts';
import { validateTensors } from './validate.ts';

const INDEX = 'model.safetensors.index.json';

// HF name (after `model.layers.{n}.`) → canonical suffix (spec §2.3).
const HF_LAYER: Record<string, string> = {
  'input_layernorm.weight': 'attn_norm',
  'self_attn.q_proj.weight': 'attn_q', 'self_attn.q_proj.bias': 'attn_q_bias',
  'self_attn.k_proj.weight': 'attn_k', 'self_attn.k_proj.bias': 'attn_k_bias',
  'self_attn.v_proj.weight': 'attn_v', 'self_attn.v_proj.bias': 'attn_v_bias',
  'self_attn.o_proj.weight': 'attn_o', 'self_attn.o_proj.bias': 'attn_o_bias',
  'self_attn.sinks': 'attn_sinks',
  'post_attention_layernorm.weight': 'mlp_norm',
  'mlp.router.weight': 'router', 'mlp.router.bias': 'router_bias',
  'mlp.experts.gate_up_proj_bias': 'experts_gate_up_bias',
  'mlp.experts.down_proj_bias': 'experts_down_bias',
  // MXFP4 pairs and transformers' dense (transposed) experts
  'mlp.experts.gate_up_proj_blocks': 'experts_gate_up', 'mlp.experts.down_proj_blocks': 'experts_down',
  'mlp.experts.gate_up_proj': 'experts_gate_up', 'mlp.experts.down_proj': 'experts_down',
};
const HF_GLOBAL: Record<string, string> = {
  'model.embed_tokens.weight': 'embed', 'model.norm.weight': 'final_norm', 'lm_head.weight': 'unembed',
};
// original/ names (spec §2.4); `attn.qkv.*` is handled separately.
const OAI_LAYER: Record<string, string> = {
  'attn.norm.scale': 'attn_norm', 'attn.sinks': 'attn_sinks', 'attn.out.weight': 'attn_o', 'attn.out.bias': 'attn_o_bias',
  'mlp.norm.scale': 'mlp_norm', 'mlp.gate.weight': 'router', 'mlp.gate.bias': 'router_bias',
  'mlp.mlp1_weight.blocks': 'experts_gate_up', 'mlp.mlp1_bias': 'experts_gate_up_bias',
  'mlp.mlp2_weight.blocks': 'experts_down', 'mlp.mlp2_bias': 'experts_down_bias',
};
const OAI_GLOBAL: Record<string, string> = { 'embedding.weight': 'embed', 'norm.scale': 'final_norm', 'unembedding.weight': 'unembed' };

const DENSE: Record<string, Format> = { BF16: 'bf16', F16: 'f16', F32: 'f32' };

/** The canonical name a file tensor feeds, or null for tensors we ignore. */
function canonicalOf(name: string): string | null {
  if (name in HF_GLOBAL) return HF_GLOBAL[name];
  if (name in OAI_GLOBAL) return OAI_GLOBAL[name];
  let m = /^model\.layers\.(\d+)\.(.+)$/.exec(name);
  if (m && m[2] in HF_LAYER) return `layers.${m[1]}.${HF_LAYER[m[2]]}`;
  m = /^block\.(\d+)\.(.+)$/.exec(name);
  if (m && m[2] in OAI_LAYER) return `layers.${m[1]}.${OAI_LAYER[m[2]]}`;
  return null;
}

/** For "missing" messages: the HF name a canonical tensor comes from. */
function hfNameOf(canonical: string): string {
  for (const [k, v] of Object.entries(HF_GLOBAL)) if (v === canonical) return k;
  const m = /^layers\.(\d+)\.(.+)$/.exec(canonical);
  if (m) for (const [k, v] of Object.entries(HF_LAYER)) if (v === m[2]) return `model.layers.${m[1]}.${k}`;
  return canonical;
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ModelLoadError(path, null, `cannot read: ${errorText(e)}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ModelLoadError(path, null, `not valid JSON: ${errorText(e)}`);
  }
}

/** The .safetensors files of a folder: the index's shards if there is one, else every such file. */
function shardPaths(folder: string): { paths: string[]; weightMap: Record<string, string> | null } {
  const indexPath = join(folder, INDEX);
  if (existsSync(indexPath)) {
    const idx = readJson(indexPath) as { weight_map?: unknown };
    const wm = idx?.weight_map;
    if (typeof wm !== 'object' || wm === null || Array.isArray(wm)) throw new ModelLoadError(indexPath, null, 'no weight_map object');
    const names = new Set<string>();
    for (const [t, f] of Object.entries(wm)) {
      // Shard names are bare file names in the same folder; anything else is refused.
      if (typeof f !== 'string' || f !== basename(f) || f === '..' || !f.endsWith('.safetensors')) {
        throw new ModelLoadError(indexPath, t, `weight_map entry ${JSON.stringify(f)} is not a .safetensors file name`);
      }
      names.add(f);
    }
    for (const f of names) {
      // 0-based shard names (spec §9.12): we never guess names, we take the index's word for them.
      if (!existsSync(join(folder, f))) throw new ModelLoadError(join(folder, f), null, `shard listed in ${INDEX} is missing`);
    }
    return { paths: [...names].sort().map((f) => join(folder, f)), weightMap: wm as Record<string, string> };
  }
  const paths = readdirSync(folder).filter((f) => f.endsWith('.safetensors')).sort().map((f) => join(folder, f));
  if (paths.length === 0) throw new ModelLoadError(folder, null, 'no .safetensors files (and no index) in the folder');
  return { paths, weightMap: null };
}

/** `path`: an HF folder, or one .safetensors file with config.json beside it. */
export function loadHf(path: string): Checkpoint {
  const single = !statSync(path).isDirectory();
  const folder = single ? dirname(path) : path;
  const configPath = join(folder, 'config.json');
  if (!existsSync(configPath)) throw new ModelLoadError(configPath, null, 'missing (an HF checkpoint needs config.json)');
  const json = readJson(configPath);
  const config = configFromHf(json, configPath);
  validateConfig(config, configPath);

  const { paths, weightMap } = single ? { paths: [path], weightMap: null } : shardPaths(folder);
  const files: ModelFile[] = [];
  const closeAll = () => {
    for (const f of files) f.close();
    releaseScratch();
  };
  try {
    const entries = new Map<string, StEntry>();
    for (const p of paths) {
      const f = new ModelFile(p);
      files.push(f);
      for (const e of readSafetensorsHeader(f)) {
        const prev = entries.get(e.name);
        if (prev) throw new ModelLoadError(p, e.name, `also present in ${prev.file.path}`);
        entries.set(e.name, e);
      }
    }
    if (weightMap) {
      for (const [t, f] of Object.entries(weightMap)) {
        const e = entries.get(t);
        if (!e || basename(e.file.path) !== f) throw new ModelLoadError(join(folder, f), t, `listed in ${INDEX} but not in this shard`);
      }
    }
    const found = buildRecords(config, entries, (json as Record<string, unknown>).tie_word_embeddings === true);
    const tensors = validateTensors(path, config, found, hfNameOf);
    let totalBytes = 0;
    for (const r of tensors.values()) totalBytes += r.byteSize;
    return { kind: 'hf', path, config, tensors, metadata: json as Record<string, unknown>, totalBytes, close: closeAll };
  } catch (e) {
    closeAll();
    throw e;
  }
}

function buildRecords(c: ModelConfig, entries: Map<string, StEntry>, tied: boolean): Map<string, WeightRecord> {
  const out = new Map<string, WeightRecord>();
  const span = (e: StEntry): Span => ({ file: e.file, offset: e.offset, name: e.name });
  const bad = (e: StEntry, problem: string): never => {
    throw new ModelLoadError(e.file.path, e.name, problem);
  };
  const dense = (e: StEntry): Format => DENSE[e.dtype] ?? bad(e, `dtype ${e.dtype} not supported here (expected BF16, F16 or F32)`);

  for (const e of entries.values()) {
    const name = canonicalOf(e.name);
    if (name === null) continue; // unexpected extras are ignored (scales are picked up with their blocks)
    if (/[._]blocks$/.test(e.name)) {
      out.set(name, mxfp4Pair(name, e, entries, bad));
    } else if (/experts\.(gate_up|down)_proj$/.test(e.name)) {
      out.set(name, denseExperts(c, name, e, dense(e), span(e)));
    } else {
      out.set(name, makeRecord({ file: e.file.path, tensor: e.name }, name, e.shape, dense(e), copyFill(span(e), dense(e))));
    }
  }
  // original/ fused qkv (spec §2.4): rows [q | k | v], no permutation.
  for (let n = 0; n < c.numLayers; n++) {
    const q = c.numHeads * c.headDim, kv = c.numKvHeads * c.headDim;
    for (const [suffix, isBias] of [['weight', false], ['bias', true]] as const) {
      const e = entries.get(`block.${n}.attn.qkv.${suffix}`);
      if (!e) continue;
      const fmt = dense(e);
      const cols = isBias ? 1 : e.shape[1];
      const want = isBias ? [q + 2 * kv] : [q + 2 * kv, c.hiddenSize];
      if (e.shape.length !== want.length || e.shape.some((d, i) => d !== want[i])) bad(e, `shape [${e.shape}] but the config needs [${want}]`);
      let row = 0;
      for (const [part, rows] of [['attn_q', q], ['attn_k', kv], ['attn_v', kv]] as const) {
        const name = `layers.${n}.${part}${isBias ? '_bias' : ''}`;
        const s: Span = { file: e.file, offset: e.offset + row * rowBytes(fmt, cols), name: e.name };
        const src = { file: e.file.path, tensor: e.name, note: `rows [${row}, ${row + rows})` };
        out.set(name, makeRecord(src, name, isBias ? [rows] : [rows, cols], fmt, copyFill(s, fmt)));
        row += rows;
      }
    }
  }
  // tie_word_embeddings: the unembedding is the embedding (false for gpt-oss, spec §1.1).
  const embed = out.get('embed');
  if (tied && !out.has('unembed') && embed) out.set('unembed', aliasRecord(embed, 'unembed'));
  return out;
}

/** blocks [E, rows, G, 16] + scales [E, rows, G] (both U8) → mxfp4 [E, rows, G·32]. */
function mxfp4Pair(name: string, blocks: StEntry, entries: Map<string, StEntry>,
  bad: (e: StEntry, p: string) => never): WeightRecord {
  const scalesName = blocks.name.replace(/blocks$/, 'scales');
  const scales = entries.get(scalesName);
  if (!scales) return bad(blocks, `has no matching ${scalesName}`);
  if (blocks.dtype !== 'U8') bad(blocks, `dtype ${blocks.dtype}, MXFP4 blocks must be U8`);
  if (scales.dtype !== 'U8') bad(scales, `dtype ${scales.dtype}, MXFP4 scales must be U8`);
  const b = blocks.shape, s = scales.shape;
  if (b.length < 2 || b[b.length - 1] !== 16) bad(blocks, `shape [${b}] is not [..., G, 16]`);
  if (s.length !== b.length - 1 || s.some((d, i) => d !== b[i])) bad(scales, `shape [${s}] does not match ${blocks.name} [${b}]`);
  const shape = [...s.slice(0, -1), s[s.length - 1] * 32];
  const span = (e: StEntry): Span => ({ file: e.file, offset: e.offset, name: e.name });
  return makeRecord({ file: blocks.file.path, tensor: blocks.name }, name, shape, 'mxfp4', hfMxfp4Fill(span(blocks), span(scales)));
}

/**
 * Dense experts as saved from transformers' in-memory parameters are [E, in, out] (spec §2.5,
 * §9.11) and are transposed on fill. Only a shape that is unambiguously [E, out, in] is copied.
 */
function denseExperts(c: ModelConfig, name: string, e: StEntry, fmt: Format, s: Span): WeightRecord {
  const E = c.numExperts;
  const [out, inn] = name.endsWith('gate_up') ? [2 * c.intermediateSize, c.hiddenSize] : [c.hiddenSize, c.intermediateSize];
  const sh = e.shape;
  if (sh.length === 3 && sh[0] === E && sh[1] === inn && sh[2] === out) {
    return makeRecord({ file: e.file.path, tensor: e.name, note: '(transposed)' }, name, [E, out, inn], fmt, transposeFill(s, E, inn, out, fmt));
  }
  return makeRecord({ file: e.file.path, tensor: e.name }, name, sh, fmt, copyFill(s, fmt));
}
