// Canonical weight set → Hugging Face folder in the hub's gpt-oss layout (spec §2): config.json,
// tensors in lexicographic name order cut into ≤ 5 GB shards named 0-based like the hub
// (model-00000-of-00002.safetensors …, spec §2.1/§9.12) plus model.safetensors.index.json, or a
// single model.safetensors when everything fits in one shard (as save_pretrained does).
// Experts are written as MXFP4 `_blocks` [E, rows, G, 16] + `_scales` [E, rows, G] in HF nibble
// order (spec §3.3); every other tensor as BF16 (spec §2.3). Streams by rows like the GGUF writer.
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { FORMATS, type Format } from '../model/formats.ts';
import { assert } from '../model/io.ts';
import { encodeValues } from '../model/quantize.ts';
import type { WeightSource } from './gguf-write.ts';
import { configJsonOf, type HfConfigJson } from './presets.ts';
import { forEachRowChunk, rowsOf } from './rows.ts';
import type { WeightRecord } from '../model/types.ts';

export type HfDenseType = 'bf16' | 'f16' | 'f32';

export interface HfWriteOptions {
  /** config.json as written (default: configJsonOf(src.config), the 20b schema). */
  configJson?: HfConfigJson;
  /** Most tensor bytes per shard (default 5e9: save_pretrained's "5GB"). */
  shardBytes?: number;
  /** Dtype of every non-expert tensor (default bf16, as on the hub). */
  dense?: HfDenseType;
  progress?: (written: number, total: number) => void;
}

/** One safetensors entry: which canonical tensor feeds it and which part (MXFP4 blocks or scales). */
export interface HfTensorPlan {
  name: string;
  canonical: string;
  part: 'dense' | 'blocks' | 'scales';
  dtype: 'BF16' | 'F16' | 'F32' | 'U8';
  shape: number[];
  byteSize: number;
  shard: number;
  /** Offset inside the shard's data section. */
  offset: number;
}

export interface HfPlan {
  shards: { file: string; header: Uint8Array; dataBytes: number }[];
  tensors: HfTensorPlan[];
  /** Sum of tensor bytes (the index's metadata.total_size). */
  totalSize: number;
  /** Bytes of all shard files together (headers included). */
  fileBytes: number;
}

const ST_DTYPE: Record<HfDenseType, HfTensorPlan['dtype']> = { bf16: 'BF16', f16: 'F16', f32: 'F32' };

// canonical → HF name (spec §2.3); the reader's table (hf.ts) is the inverse.
const GLOBAL: Record<string, string> = { embed: 'model.embed_tokens.weight', final_norm: 'model.norm.weight', unembed: 'lm_head.weight' };
const LAYER: Record<string, string> = {
  attn_norm: 'input_layernorm.weight',
  attn_q: 'self_attn.q_proj.weight', attn_q_bias: 'self_attn.q_proj.bias',
  attn_k: 'self_attn.k_proj.weight', attn_k_bias: 'self_attn.k_proj.bias',
  attn_v: 'self_attn.v_proj.weight', attn_v_bias: 'self_attn.v_proj.bias',
  attn_o: 'self_attn.o_proj.weight', attn_o_bias: 'self_attn.o_proj.bias',
  attn_sinks: 'self_attn.sinks',
  mlp_norm: 'post_attention_layernorm.weight',
  router: 'mlp.router.weight', router_bias: 'mlp.router.bias',
  experts_gate_up: 'mlp.experts.gate_up_proj', experts_gate_up_bias: 'mlp.experts.gate_up_proj_bias',
  experts_down: 'mlp.experts.down_proj', experts_down_bias: 'mlp.experts.down_proj_bias',
};

function hfName(canonical: string): string {
  if (canonical in GLOBAL) return GLOBAL[canonical];
  const m = /^layers\.(\d+)\.(.+)$/.exec(canonical);
  if (!m || !(m[2] in LAYER)) throw new Error(`hf-write: no HF name for tensor ${canonical}`);
  return `model.layers.${m[1]}.${LAYER[m[2]]}`;
}

/** Lays out the folder without writing: entries, shards, headers, sizes. */
export function planHf(src: WeightSource, opts: HfWriteOptions = {}): HfPlan {
  const dense = opts.dense ?? 'bf16';
  const maxShard = opts.shardBytes ?? 5e9;
  const entries: Omit<HfTensorPlan, 'shard' | 'offset'>[] = [];
  for (const [canonical, r] of src.tensors) {
    const name = hfName(canonical);
    if (/experts_(gate_up|down)$/.test(canonical)) {
      // Dense experts are not written: [E, out, in] with H = I is ambiguous on reading (spec §2.5).
      if (r.format !== 'mxfp4') throw new Error(`hf-write: ${canonical} is ${r.format}; the HF layout stores experts as MXFP4 only`);
      const [E, rows, cols] = r.shape, G = cols / 32;
      entries.push({ name: `${name}_blocks`, canonical, part: 'blocks', dtype: 'U8', shape: [E, rows, G, 16], byteSize: E * rows * G * 16 });
      entries.push({ name: `${name}_scales`, canonical, part: 'scales', dtype: 'U8', shape: [E, rows, G], byteSize: E * rows * G });
    } else {
      const n = r.shape.reduce((a, b) => a * b, 1);
      entries.push({ name, canonical, part: 'dense', dtype: ST_DTYPE[dense], shape: r.shape, byteSize: n * FORMATS[dense].blockBytes });
    }
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)); // the hub's order (spec §2.1)

  const tensors: HfTensorPlan[] = [];
  const groups: HfTensorPlan[][] = [[]];
  let size = 0;
  for (const e of entries) {
    if (size > 0 && size + e.byteSize > maxShard) {
      groups.push([]);
      size = 0;
    }
    const t = { ...e, shard: groups.length - 1, offset: size };
    groups[groups.length - 1].push(t);
    tensors.push(t);
    size += e.byteSize;
  }
  const n = groups.length;
  const shards = groups.map((g, i) => ({
    file: n === 1 ? 'model.safetensors' : `model-${String(i).padStart(5, '0')}-of-${String(n - 1).padStart(5, '0')}.safetensors`,
    header: stHeader(g),
    dataBytes: g.reduce((s, t) => s + t.byteSize, 0),
  }));
  const totalSize = tensors.reduce((s, t) => s + t.byteSize, 0);
  return { shards, tensors, totalSize, fileBytes: shards.reduce((s, f) => s + f.header.length + f.dataBytes, 0) };
}

/** u64 length + JSON header (spec §2.2), space-padded so the data section starts at a multiple of 8. */
function stHeader(tensors: HfTensorPlan[]): Uint8Array {
  const h: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  for (const t of tensors) h[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [t.offset, t.offset + t.byteSize] };
  let json = JSON.stringify(h);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const body = new TextEncoder().encode(json); // ASCII: names and numbers only
  const out = new Uint8Array(8 + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(body.length), true);
  out.set(body, 8);
  return out;
}

/** Writes the folder `dir` (created if needed); returns the plan it followed. */
export function writeHf(dir: string, src: WeightSource, opts: HfWriteOptions = {}): HfPlan {
  const p = planHf(src, opts);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(opts.configJson ?? configJsonOf(src.config), null, 2) + '\n');
  if (p.shards.length > 1) {
    const weightMap: Record<string, string> = {};
    for (const t of [...p.tensors].sort((a, b) => (a.name < b.name ? -1 : 1))) weightMap[t.name] = p.shards[t.shard].file;
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: p.totalSize }, weight_map: weightMap }, null, 2) + '\n');
  }
  const fds = p.shards.map((s) => openSync(join(dir, s.file), 'w'));
  try {
    let done = 0;
    p.shards.forEach((s, i) => {
      writeSync(fds[i], s.header, 0, s.header.length, 0);
      done += s.header.length;
    });
    const byCanonical = new Map<string, HfTensorPlan[]>();
    for (const t of p.tensors) byCanonical.set(t.canonical, [...(byCanonical.get(t.canonical) ?? []), t]);
    for (const [canonical, outs] of byCanonical) {
      const r = src.tensors.get(canonical)!;
      forEachRowChunk(r, (bytes, r0, n) => {
        for (const t of outs) {
          const data = convertRows(r, t, bytes, n);
          const rowOut = t.byteSize / rowsOf(r).rows;
          writeAll(fds[t.shard], data, p.shards[t.shard].header.length + t.offset + r0 * rowOut);
          done += data.length;
        }
        opts.progress?.(done, p.fileBytes);
      });
    }
    assert(done === p.fileBytes, `hf-write: wrote ${done} of ${p.fileBytes} bytes`);
  } finally {
    for (const fd of fds) closeSync(fd);
  }
  return p;
}

function writeAll(fd: number, data: Uint8Array, pos: number): void {
  for (let at = 0; at < data.length;) at += writeSync(fd, data, at, data.length - at, pos + at);
}

// Output staging, reused across pieces (one piece of ≤ 16 MiB canonical bytes at a time).
let stage = new Uint8Array(0);
let vals = new Float32Array(0);

/** Canonical rows (n of them, bytes `src`) → the bytes of entry `t` for those rows. */
function convertRows(r: WeightRecord, t: HfTensorPlan, src: Uint8Array, n: number): Uint8Array {
  const outBytes = (t.byteSize / rowsOf(r).rows) * n;
  if (stage.length < outBytes) stage = new Uint8Array(outBytes);
  const out = stage.subarray(0, outBytes);
  if (t.part === 'blocks' || t.part === 'scales') {
    ggmlToHfMxfp4(src, src.length / 17, t.part, out);
    return out;
  }
  const fmt = (t.dtype === 'BF16' ? 'bf16' : t.dtype === 'F16' ? 'f16' : 'f32') as Exclude<Format, 'mxfp4' | 'q8_0'>;
  if (r.format === fmt) return src; // already in the file's dtype: the canonical bytes are the file bytes
  const count = outBytes / FORMATS[fmt].blockBytes;
  if (vals.length < count) vals = new Float32Array(count);
  FORMATS[r.format].dequant(src, vals, count);
  encodeValues(fmt, vals, count, out, 0);
  return out;
}

/**
 * GGML block_mxfp4 (canonical: scale byte, then qs with element j low / j+16 high) → HF's two
 * tensors (spec §3.3/§3.6): the scale bytes, or 16 bytes per block with element 2i in the low
 * and 2i+1 in the high nibble of byte i. Inverse of formats.ts hfBlockToGgml.
 */
export function ggmlToHfMxfp4(src: Uint8Array, blocks: number, part: 'blocks' | 'scales', out: Uint8Array): void {
  if (part === 'scales') {
    for (let b = 0; b < blocks; b++) out[b] = src[b * 17];
    return;
  }
  for (let b = 0; b < blocks; b++) {
    const q = b * 17 + 1, h = b * 16;
    for (let j = 0; j < 8; j++) {
      const lo = src[q + 2 * j], hi = src[q + 2 * j + 1];
      out[h + j] = (lo & 0x0f) | ((hi & 0x0f) << 4);
      out[h + j + 8] = (lo >> 4) | (hi & 0xf0);
    }
  }
}
