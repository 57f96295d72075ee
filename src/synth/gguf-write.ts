// GGUF v3 writer in llama.cpp's gpt-oss layout (spec §7): metadata keys of §7.2 in the order
// convert_hf_to_gguf writes them, tensors of §7.3 (gate/up split into even/odd rows), MXFP4 experts
// as GGML blocks (= our canonical bytes), dense tensors in a per-tensor type. Streams by rows:
// peak memory is one ≤16 MiB source piece plus one output piece per GGUF tensor when the source
// records offer fillRows (synthetic checkpoints), else the largest canonical tensor.
import { closeSync, openSync, writeSync } from 'node:fs';
import { FORMATS, rowBytes, tensorBytes, type Format } from '../model/formats.ts';
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GgufType } from '../model/gguf.ts';
import { ByteBuilder, typedValue, type Kv } from '../model/gguf-kv.ts';
import { ggufNameOf } from '../model/gguf-load.ts';
import { CHUNK_BYTES, assert } from '../model/io.ts';
import { encodeValues } from '../model/quantize.ts';
import { forEachRowChunk } from './rows.ts';
import type { ModelConfig, WeightRecord } from '../model/types.ts';

/** What the writer needs: a Checkpoint, or anything shaped like one (e.g. a synthetic model). */
export interface WeightSource {
  config: ModelConfig;
  tensors: Map<string, WeightRecord>;
  /** `tokenizer.*` keys here (a GGUF source) are copied through. */
  metadata?: Record<string, unknown>;
}

export type GgufDenseType = 'f32' | 'f16' | 'bf16' | 'q8_0';

export interface GgufWriteOptions {
  /** Type of token_embd, output and attn_{q,k,v,output} weights (llama.cpp recipes vary these). Default f32. */
  dense?: GgufDenseType;
  /** Type of the expert matrices: mxfp4 (byte copy; needs an mxfp4 source) or a dense type. Default: mxfp4 if the source is. */
  experts?: GgufDenseType | 'mxfp4';
  /** Per-tensor override by canonical name (undefined = the default above; norms, biases, sinks, router default to f32). */
  typeOf?: (canonical: string) => GgufDenseType | 'mxfp4' | undefined;
  /** gate/up as two tensors (the standard conversion) or as one concatenated `ffn_gate_up_exps` (spec §7.3). Default split. */
  gateUp?: 'split' | 'concat';
  /** general.name (default "gpt-oss"). */
  name?: string;
  alignment?: number;
  /** Extra keys written after the model keys, e.g. tokenizer.* from another GGUF; values typed as in typedValue(). */
  metadata?: Record<string, unknown>;
  progress?: (written: number, total: number) => void;
}

// ---- the model --------------------------------------------------------------------------------

/** llama.cpp's model keys (spec §7.2), in the order its converter writes them. */
function modelKvs(c: ModelConfig, opts: GgufWriteOptions, fileType: number): Kv[] {
  const a = 'gpt-oss';
  const kv: Kv[] = [];
  const put = (key: string, type: number, value: unknown) => kv.push({ key, type, value });
  put('general.architecture', GgufType.STRING, a);
  put('general.type', GgufType.STRING, 'model');
  put('general.name', GgufType.STRING, opts.name ?? 'gpt-oss');
  if ((opts.alignment ?? GGUF_DEFAULT_ALIGNMENT) !== GGUF_DEFAULT_ALIGNMENT) put('general.alignment', GgufType.U32, opts.alignment);
  put(`${a}.block_count`, GgufType.U32, c.numLayers);
  put(`${a}.context_length`, GgufType.U32, c.maxPositions);
  put(`${a}.embedding_length`, GgufType.U32, c.hiddenSize);
  put(`${a}.feed_forward_length`, GgufType.U32, c.intermediateSize);
  put(`${a}.attention.head_count`, GgufType.U32, c.numHeads);
  put(`${a}.attention.head_count_kv`, GgufType.U32, c.numKvHeads);
  if (c.rope) {
    put(`${a}.rope.scaling.type`, GgufType.STRING, 'yarn');
    put(`${a}.rope.scaling.factor`, GgufType.F32, c.rope.factor);
    put(`${a}.rope.scaling.original_context_length`, GgufType.U32, c.rope.originalMaxPositions);
    put(`${a}.rope.scaling.yarn_beta_fast`, GgufType.F32, c.rope.betaFast);
    put(`${a}.rope.scaling.yarn_beta_slow`, GgufType.F32, c.rope.betaSlow);
  }
  put(`${a}.rope.freq_base`, GgufType.F32, c.ropeTheta);
  put(`${a}.attention.layer_norm_rms_epsilon`, GgufType.F32, c.rmsNormEps);
  put(`${a}.expert_count`, GgufType.U32, c.numExperts);
  put(`${a}.expert_used_count`, GgufType.U32, c.expertsPerToken);
  put(`${a}.attention.key_length`, GgufType.U32, c.headDim);
  put(`${a}.attention.value_length`, GgufType.U32, c.headDim);
  put('general.file_type', GgufType.U32, fileType);
  put(`${a}.attention.sliding_window`, GgufType.U32, c.slidingWindow);
  put(`${a}.expert_feed_forward_length`, GgufType.U32, c.intermediateSize);
  put('general.quantization_version', GgufType.U32, 2);
  return kv;
}

/** One GGUF tensor: which canonical tensor feeds it and which of its rows (§7.3 gate/up split). */
export interface Planned {
  gguf: string;
  canonical: string;
  /** all rows; the even (gate) / odd (up) units along axis 1; or per expert all gate units then all up units */
  pick: 'all' | 0 | 1 | 'concat';
  shape: number[];
  format: Format;
  byteSize: number;
  offset: number;
}

const BIG_DENSE = /^(embed|unembed)$|\.attn_[qkvo]$/;

function plan(src: WeightSource, opts: GgufWriteOptions): Planned[] {
  const c = src.config;
  const names = ['embed'];
  for (let n = 0; n < c.numLayers; n++) {
    for (const s of ['attn_norm', 'attn_q', 'attn_q_bias', 'attn_k', 'attn_k_bias', 'attn_v', 'attn_v_bias', 'attn_o',
      'attn_o_bias', 'attn_sinks', 'mlp_norm', 'router', 'router_bias', 'experts_gate_up', 'experts_gate_up_bias',
      'experts_down', 'experts_down_bias']) names.push(`layers.${n}.${s}`);
  }
  names.push('final_norm', 'unembed');
  const out: Planned[] = [];
  for (const canonical of names) {
    const r = src.tensors.get(canonical);
    if (!r) throw new Error(`gguf-write: source has no tensor ${canonical}`);
    const isExpertW = /experts_(gate_up|down)$/.test(canonical);
    const format: Format = opts.typeOf?.(canonical)
      ?? (isExpertW ? opts.experts ?? (r.format === 'mxfp4' ? 'mxfp4' : 'f32') : BIG_DENSE.test(canonical) ? opts.dense ?? 'f32' : 'f32');
    if (format === 'mxfp4' && r.format !== 'mxfp4') throw new Error(`gguf-write: ${canonical} is ${r.format}; writing MXFP4 needs an MXFP4 source`);
    const base = ggufNameOf(canonical);
    const add = (gguf: string, pick: Planned['pick'], shape: number[]) =>
      out.push({ gguf, canonical, pick, shape, format, byteSize: tensorBytes(format, shape), offset: 0 });
    if (/experts_gate_up(_bias)?$/.test(canonical) && opts.gateUp === 'concat') {
      add(base.replace('ffn_gate_exps', 'ffn_gate_up_exps'), 'concat', r.shape);
    } else if (/experts_gate_up(_bias)?$/.test(canonical)) {
      // Split the interleaved rows: gate = even, up = odd (spec §3.4, §7.3).
      const half = [r.shape[0], r.shape[1] / 2, ...r.shape.slice(2)];
      add(base, 0, half);
      add(base.replace('ffn_gate_exps', 'ffn_up_exps'), 1, half);
    } else {
      add(base, 'all', r.shape);
    }
  }
  // llama.cpp's order puts both gate/up weights before both biases; the loop above gives
  // gate.w, up.w, then gate.b, up.b already, because the canonical weight precedes its bias.
  return out;
}

const FILE_TYPE: Record<string, number> = { f32: 0, f16: 1, q8_0: 7, bf16: 32 }; // llama_ftype

/** A GGUF file laid out but not written: its header bytes and where every tensor goes. */
export interface GgufPlan {
  header: Uint8Array;
  /** File offset of the data section (= header.length). */
  dataStart: number;
  /** File size. */
  total: number;
  tensors: ReadonlyArray<Readonly<Planned>>;
}

/**
 * Lays out `src` as a gpt-oss GGUF v3 without writing anything: the exact header (metadata and
 * tensor infos) and file size, so a 12 GB file can be sized in milliseconds.
 */
export function planGguf(src: WeightSource, opts: GgufWriteOptions = {}): GgufPlan {
  const c = src.config;
  // GGUF cannot express these: llama.cpp derives them from the architecture (spec §7.2).
  if (c.layerTypes.some((t, i) => t !== (i % 2 === 0 ? 'sliding_attention' : 'full_attention'))) {
    throw new Error('gguf-write: GGUF cannot express layer_types other than even layers sliding, odd layers full');
  }
  if (c.swigluLimit !== 7 || c.swigluAlpha !== 1.702) throw new Error('gguf-write: GGUF cannot express swiglu limit/alpha other than 7 / 1.702');
  const alignment = opts.alignment ?? GGUF_DEFAULT_ALIGNMENT;
  assert(alignment > 0 && (alignment & (alignment - 1)) === 0, 'alignment must be a power of two');

  const tensors = plan(src, opts);
  const expertFmt = tensors.find((t) => t.canonical.endsWith('experts_down'))!.format;
  const fileType = expertFmt === 'mxfp4' ? 38 : FILE_TYPE[opts.dense ?? 'f32'];
  const kvs = modelKvs(c, opts, fileType);
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src.metadata ?? {})) if (k.startsWith('tokenizer.')) extra[k] = v;
  Object.assign(extra, opts.metadata ?? {});
  if (!('tokenizer.ggml.eos_token_id' in extra) && c.eosTokenId !== null) extra['tokenizer.ggml.eos_token_id'] = c.eosTokenId;
  if (!('tokenizer.ggml.padding_token_id' in extra) && c.padTokenId !== null) extra['tokenizer.ggml.padding_token_id'] = c.padTokenId;
  for (const [k, v] of Object.entries(extra)) {
    const i = kvs.findIndex((kv) => kv.key === k);
    if (i >= 0) kvs[i] = { ...typedValue(k, v), type: kvs[i].type }; // override keeps the model key's type
    else kvs.push(typedValue(k, v));
  }

  const h = new ByteBuilder();
  h.scalar(GgufType.U32, GGUF_MAGIC);
  h.scalar(GgufType.U32, 3);
  h.scalar(GgufType.U64, tensors.length);
  h.scalar(GgufType.U64, kvs.length);
  for (const kv of kvs) {
    h.string(kv.key);
    h.scalar(GgufType.U32, kv.type);
    h.value(kv.type, kv.value, kv.elemType);
  }
  let rel = 0;
  for (const t of tensors) {
    t.offset = rel;
    rel += padded(t.byteSize, alignment);
    h.string(t.gguf);
    h.scalar(GgufType.U32, t.shape.length);
    for (let d = t.shape.length - 1; d >= 0; d--) h.scalar(GgufType.U64, t.shape[d]); // ne: innermost first
    h.scalar(GgufType.U32, FORMATS[t.format].ggmlType);
    h.scalar(GgufType.U64, t.offset);
  }
  h.pad(alignment);
  return { header: h.buf.subarray(0, h.len), dataStart: h.len, total: h.len + rel, tensors };
}

const padded = (n: number, alignment: number) => Math.ceil(n / alignment) * alignment;

/**
 * Writes `src` as a gpt-oss GGUF v3 at `path`; returns the file size. Tokenizer keys of a GGUF
 * source are copied through (an HF source has none; eos/pad ids then come from the config).
 * Streams by rows: each source tensor is read once, in pieces of ≤ 16 MiB when its record offers
 * fillRows (else whole, once), and every GGUF tensor made from it (gate and up) is fed from the
 * same piece.
 */
export function writeGguf(path: string, src: WeightSource, opts: GgufWriteOptions = {}): number {
  const p = planGguf(src, opts);
  const alignment = opts.alignment ?? GGUF_DEFAULT_ALIGNMENT;
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, p.header, 0, p.header.length, 0);
    let done = p.dataStart;
    for (let i = 0; i < p.tensors.length;) {
      // The GGUF tensors fed by one canonical tensor are adjacent in the plan.
      const group: Planned[] = [];
      const canonical = p.tensors[i].canonical;
      while (i < p.tensors.length && p.tensors[i].canonical === canonical) group.push(p.tensors[i++]);
      const r = src.tensors.get(canonical)!;
      const sinks = group.map((t, k) => new RowSink(fd, p.dataStart + t.offset, t, alignment, sinkBuffer(k)));
      forEachRowChunk(r, (bytes, r0, n) => {
        for (let k = 0; k < group.length; k++) done += convertRows(group[k], r, bytes, r0, n, sinks[k]);
        opts.progress?.(done, p.total);
      });
      for (const s of sinks) done += s.finish();
      opts.progress?.(done, p.total);
    }
    assert(done === p.total, `gguf-write: wrote ${done} of ${p.total} bytes`);
  } finally {
    closeSync(fd);
    sinkBuffers.length = 0;
  }
  return p.total;
}

/**
 * Buffers output rows of one GGUF tensor and writes runs of consecutive rows at their place in
 * the file (positioned writes, so gate and up can be filled side by side).
 */
class RowSink {
  readonly rowBytes: number;
  private readonly buf: Uint8Array;
  private first = 0;
  private count = 0;

  constructor(private readonly fd: number, private readonly pos: number, private readonly t: Planned,
    private readonly alignment: number, space: Uint8Array) {
    this.rowBytes = rowBytes(t.format, t.shape[t.shape.length - 1]);
    const n = Math.max(1, Math.floor(space.length / this.rowBytes)) * this.rowBytes;
    this.buf = n <= space.length ? space.subarray(0, n) : new Uint8Array(n);
  }

  /** Offset in `buffer` where output row `row` goes (flushes first if it does not continue the run). */
  at(row: number): number {
    if (this.count && (row !== this.first + this.count || (this.count + 1) * this.rowBytes > this.buf.length)) this.flush();
    if (!this.count) this.first = row;
    return this.count++ * this.rowBytes;
  }

  get buffer(): Uint8Array {
    return this.buf;
  }

  private flush(): void {
    const len = this.count * this.rowBytes, pos = this.pos + this.first * this.rowBytes;
    for (let at = 0; at < len;) at += writeSync(this.fd, this.buf, at, len - at, pos + at); // a write may be partial
    this.count = 0;
  }

  /** Flushes and writes the zero padding after the tensor (gguf-py pads every tensor); returns the padding bytes. */
  finish(): number {
    this.flush();
    const pad = padded(this.t.byteSize, this.alignment) - this.t.byteSize;
    if (pad) writeSync(this.fd, new Uint8Array(pad), 0, pad, this.pos + this.t.byteSize);
    return pad;
  }
}

/**
 * Converts source rows [r0, r0 + n) of canonical record `r` (bytes `src`) into the rows of GGUF
 * tensor `t` they feed, appending them to `sink`; returns the output bytes produced.
 */
function convertRows(t: Planned, r: WeightRecord, src: Uint8Array, r0: number, n: number, sink: RowSink): number {
  const cols = t.shape[t.shape.length - 1];
  const srcCols = r.shape[r.shape.length - 1];
  const srcRowBytes = rowBytes(r.format, srcCols);
  // gate/up (spec §3.4): source unit u of an expert is gate (u even) or up (u odd) unit u >> 1.
  // A picked bias selects elements inside each source row; a picked weight selects whole rows.
  const units = r.shape[1], half = units / 2;
  const pickElems = t.pick !== 'all' && r.shape.length === 2;
  const srcUnit = (k: number) => (t.pick === 'concat' ? (k < half ? 2 * k : 2 * (k - half) + 1) : 2 * k + (t.pick as number));
  const outRowOf = (s: number): number => {
    if (t.pick === 'all' || pickElems) return s;
    const e = Math.floor(s / units), u = s % units;
    if (t.pick === 'concat') return e * units + (u & 1) * half + (u >> 1);
    return (u & 1) === t.pick ? e * half + (u >> 1) : -1;
  };
  const vals = scratchF32(0, srcCols);
  const picked = scratchF32(1, cols);
  let produced = 0;
  for (let i = 0; i < n; i++) {
    const out = outRowOf(r0 + i);
    if (out < 0) continue;
    const at = sink.at(out);
    const s = src.subarray(i * srcRowBytes, (i + 1) * srcRowBytes);
    produced += sink.rowBytes;
    if (t.format === r.format && !pickElems) {
      sink.buffer.set(s, at); // same storage: byte copy (MXFP4 blocks, or dense kept as is)
      continue;
    }
    FORMATS[r.format].dequant(s, vals, srcCols);
    let v = vals;
    if (pickElems) {
      for (let k = 0; k < cols; k++) picked[k] = vals[srcUnit(k)];
      v = picked;
    }
    assert(t.format !== 'mxfp4', 'mxfp4 output needs an mxfp4 source');
    encodeValues(t.format, v, cols, sink.buffer, at);
  }
  return produced;
}

// Output buffers, one per GGUF tensor of a group (≤ 2: gate and up), reused for the whole file:
// JSC frees large ArrayBuffers lazily, and one fresh 16 MiB buffer per tensor piles up.
const sinkBuffers: Uint8Array[] = [];
function sinkBuffer(k: number): Uint8Array {
  return (sinkBuffers[k] ??= new Uint8Array(CHUNK_BYTES / 4)); // 4 MiB writes are as fast as 16
}

const f32Scratch: Float32Array[] = [];
function scratchF32(slot: number, n: number): Float32Array {
  let b = f32Scratch[slot];
  if (!b || b.length < n) f32Scratch[slot] = b = new Float32Array(n);
  return b;
}
