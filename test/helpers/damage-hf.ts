// Damage to a Hugging Face folder: the safetensors container (truncations, header length, flipped
// JSON bytes, lying dtypes/shapes/offsets, entries removed or duplicated), config.json (values out
// of range or of the wrong type, keys removed, flipped bytes), the shard index, and tensor data.
import { cuts, enc, FULL, patched, rng, type Amount, type Case, type Expect, type Source } from './damage.ts';
import { stHeader, u64le, type StTensor } from './model-files.ts';

interface St { n: number; header: Record<string, any>; text: string; data: Uint8Array }

function parseSt(b: Uint8Array): St {
  const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
  const text = new TextDecoder().decode(b.subarray(8, 8 + n));
  return { n, text, header: JSON.parse(text), data: b.subarray(8 + n) };
}

/** A file with this header text (its length recomputed) over the same data section. */
function withHeaderText(st: St, text: string): Uint8Array {
  const json = enc.encode(text);
  const out = new Uint8Array(8 + json.length + st.data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(st.data, 8 + json.length);
  return out;
}
const withHeader = (st: St, h: Record<string, unknown>) => withHeaderText(st, JSON.stringify(h));

/** Tensors the HF reader treats differently: a norm, a bias, sinks, a dense matrix, MXFP4 blocks and scales, the embedding. */
function roles(h: Record<string, any>): string[] {
  const names = Object.keys(h).filter((k) => k !== '__metadata__');
  const pick = (re: RegExp) => names.find((k) => re.test(k));
  return [...new Set([pick(/down_proj_blocks/), pick(/embed_tokens/), pick(/input_layernorm/), pick(/q_proj\.bias/), pick(/sinks/),
    pick(/o_proj\.weight/), pick(/gate_up_proj_scales/), pick(/experts\.down_proj$/)].filter((k): k is string => k !== undefined))];
}

function safetensorsCases(file: string, bytes: Uint8Array, r: ReturnType<typeof rng>, amount: Amount,
  put: (c: Omit<Case, 'files'>, b: Uint8Array | string | null) => void): void {
  const st = parseSt(bytes);
  const dataStart = 8 + st.n;
  const cls = (s: string) => `safetensors: ${s}`;
  for (const c of cuts(bytes.length, amount.cuts, [1, 7, 8, dataStart - 1, dataStart, bytes.length - 1])) {
    put({ cls: cls('truncation'), what: `${file} cut at ${c} of ${bytes.length}`, expect: 'error', names: [/truncated/] }, bytes.subarray(0, c));
  }
  for (const d of [-8, -3, -2, -1, 1, 2, 8]) {
    put({ cls: cls('header length lie'), what: `${file}: header length ${d > 0 ? '+' : '−'} ${Math.abs(d)}`, expect: 'error' }, patched(bytes, 0, u64le(BigInt(st.n + d))));
  }
  put({ cls: cls('header length lie'), what: `${file}: header length 2^40`, expect: 'error', names: [/exceeds/] }, patched(bytes, 0, u64le(1n << 40n)));
  for (let i = 0; i < amount.flips; i++) {
    const pos = 8 + r.int(st.n);
    put({ cls: cls('flipped header byte'), what: `${file} @${pos} ('${st.text[pos - 8]}')`, expect: 'error|identical' }, patched(bytes, pos, [r.byteNot(bytes[pos])]));
  }
  const edit = (what: string, expect: Expect, mutate: (h: Record<string, any>) => void, names?: (string | RegExp)[]) => {
    const h = structuredClone(st.header);
    mutate(h);
    put({ cls: cls(expect === 'lie' ? 'consistent lie' : 'header entry lie'), what: `${file}: ${what}`, expect, names }, withHeader(st, h));
  };
  const sizes: Record<string, number> = { BOOL: 1, U8: 1, I8: 1, F16: 2, BF16: 2, I16: 2, F32: 4, I32: 4, F64: 8, I64: 8 };
  for (const t of roles(st.header).slice(0, amount.roles)) {
    const e = st.header[t];
    for (const dtype of ['BF16', 'F16', 'F32', 'U8', 'I8', 'F64']) {
      if (dtype === e.dtype) continue;
      // BF16 ↔ F16 keeps every offset right: the header and the data agree, the values are just other values.
      const same = sizes[dtype] === sizes[e.dtype] && dtype !== 'U8' && dtype !== 'I8' && e.dtype !== 'U8';
      edit(`${t} dtype ${e.dtype} → ${dtype}`, same ? 'lie' : 'error', (h) => { h[t].dtype = dtype; }, same ? undefined : [t]);
    }
    edit(`${t} shape[0] × 2`, 'error', (h) => { h[t].shape[0] *= 2; }, [t]);
    if (e.shape.length >= 2 && e.shape[0] !== e.shape[1]) edit(`${t} shape[0] ↔ shape[1]`, 'error', (h) => { h[t].shape = [e.shape[1], e.shape[0], ...e.shape.slice(2)]; }, [t]);
    if (e.shape.length >= 2) edit(`${t} shape flattened`, 'error', (h) => { h[t].shape = [e.shape.reduce((a: number, b: number) => a * b, 1)]; }, [t]);
    edit(`${t} data_offsets + 2`, 'error', (h) => { h[t].data_offsets = e.data_offsets.map((o: number) => o + 2); }, [t]);
    edit(`${t} end + 1`, 'error', (h) => { h[t].data_offsets = [e.data_offsets[0], e.data_offsets[1] + 1]; }, [t]);
    edit(`${t} removed`, 'error', (h) => { delete h[t]; });
    // A second entry of the same name after the first: JSON keeps the later one, whose range
    // (another tensor's) leaves this one's bytes unaccounted for.
    const other = roles(st.header).find((o) => o !== t)!;
    put({ cls: cls('header entry lie'), what: `${file}: duplicate key ${t}`, expect: 'error' },
      withHeaderText(st, st.text.replace(/\s*}\s*$/, `,${JSON.stringify(t)}:${JSON.stringify(st.header[other])}}`)));
  }
  // Two tensors of the same dtype and size trading ranges: a consistent lie no container check can see.
  const names = Object.keys(st.header).filter((k) => k !== '__metadata__');
  const a = names.find((k) => /q_proj\.bias/.test(k)), b = a && names.find((k) => k !== a && st.header[k].dtype === st.header[a].dtype
    && st.header[k].data_offsets[1] - st.header[k].data_offsets[0] === st.header[a].data_offsets[1] - st.header[a].data_offsets[0]);
  if (a && b) edit(`${a} ↔ ${b} data_offsets`, 'lie', (h) => { [h[a].data_offsets, h[b].data_offsets] = [h[b].data_offsets, h[a].data_offsets]; });
  edit('__metadata__ changed', 'error|identical', (h) => { h.__metadata__ = { format: 'np', note: 'x'.repeat(13) }; });

  for (let i = 0; i < amount.dataFlips; i++) {
    const pos = dataStart + r.int(st.data.length);
    put({ cls: cls('flipped data byte'), what: `${file} @${pos}`, expect: 'raw' }, patched(bytes, pos, [r.byteNot(bytes[pos])]));
  }
  const bf = names.find((k) => st.header[k].dtype === 'BF16' && /weight$/.test(k));
  if (bf) {
    const at = dataStart + st.header[bf].data_offsets[0] + 2 * r.int((st.header[bf].data_offsets[1] - st.header[bf].data_offsets[0]) / 2);
    put({ cls: cls('non-finite weight'), what: `${file}: ${bf} NaN`, expect: 'error', names: [bf, /NaN/] }, patched(bytes, at, [0xc0, 0x7f]));
    put({ cls: cls('non-finite weight'), what: `${file}: ${bf} 2^100`, expect: 'error', names: [bf, /2\^100/] }, patched(bytes, at, [0x80, 0x71]));
  }
  const sc = names.find((k) => /scales$/.test(k));
  if (sc) put({ cls: cls('non-finite weight'), what: `${file}: ${sc} byte 255`, expect: 'error', names: [sc, /255/] }, patched(bytes, dataStart + st.header[sc].data_offsets[0] + 5, [255]));
}

/** config.json: [key path, value (undefined = removed), expectation, names]. */
function configCases(cfg: Record<string, any>): [string, unknown, Expect][] {
  const out: [string, unknown, Expect][] = [];
  const required = ['vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'head_dim',
    'num_local_experts', 'num_experts_per_tok', 'intermediate_size', 'sliding_window'];
  // The hub config states top-k twice (spec §1.1); without one spelling the other is read.
  const alias: Record<string, string> = { num_experts_per_tok: 'experts_per_token', num_local_experts: 'num_experts' };
  for (const k of required) {
    out.push([k, undefined, alias[k] && alias[k] in cfg ? 'error|identical' : 'error']);
    for (const v of [0, -1, '8', 1.5, 1e9]) out.push([k, v, 'error']);
    out.push([k, cfg[k] * 2, 'value']);
  }
  for (const v of [0, 100, 1e9, '4096']) out.push(['max_position_embeddings', v, 'error']);
  for (const v of [0, -1e-5, 1, 1e-30, 'x']) out.push(['rms_norm_eps', v, 'error']);
  for (const v of [undefined, 0, -1, 1, 1e12, 'x']) out.push(['rope_theta', v, 'error']);
  for (const v of [0, -7, 1e9, 'x']) out.push(['swiglu_limit', v, 'error']);
  for (const v of [0.5, 0, 1e6, 'x', undefined]) out.push(['rope_scaling.factor', v, 'error']);
  for (const v of [0.5, -1]) out.push(['rope_scaling.beta_fast', v, 'error']);
  for (const v of [64, 0]) out.push(['rope_scaling.beta_slow', v, 'error']);
  for (const v of [0, 1e6, 'x']) out.push(['rope_scaling.original_max_position_embeddings', v, 'error']);
  out.push(['rope_scaling.rope_type', 'linear', 'error'], ['rope_scaling', 'x', 'error']);
  out.push(['layer_types', cfg.layer_types.slice(1), 'error'], ['layer_types', cfg.layer_types.map(() => 'bogus'), 'error'], ['layer_types', 'x', 'error']);
  for (const k of ['eos_token_id', 'pad_token_id']) for (const v of [cfg.vocab_size, -1, 'x']) out.push([k, v, 'error']);
  // Values with a default, removed: the same model, or only an id the forward pass does not use.
  for (const k of ['rms_norm_eps', 'swiglu_limit', 'rope_scaling.beta_fast', 'rope_scaling.beta_slow', 'layer_types', 'eos_token_id', 'pad_token_id']) out.push([k, undefined, 'error|identical']);
  // In range: a different, valid model (no check can know).
  for (const [k, v] of [['rms_norm_eps', 2e-5], ['rope_theta', 10000], ['swiglu_limit', 6], ['eos_token_id', 0],
    ['layer_types', cfg.layer_types.map((t: string) => (t === 'full_attention' ? 'sliding_attention' : 'full_attention'))]] as const) out.push([k, v, 'value']);
  out.push(['tie_word_embeddings', true, 'error|identical']);
  return out;
}

function setPath(o: Record<string, any>, path: string, v: unknown): void {
  const ks = path.split('.');
  const last = ks.pop()!;
  const at = ks.reduce((x, k) => x[k], o);
  if (v === undefined) delete at[last];
  else at[last] = v;
}

export function hfCases(src: Source, seed: number, amount: Amount = FULL): Case[] {
  const r = rng(seed);
  const out: Case[] = [];
  const cfgText = new TextDecoder().decode(src.files.get('config.json')!);
  const cfg = JSON.parse(cfgText);
  const put = (file: string) => (c: Omit<Case, 'files'>, b: Uint8Array | string | null) => out.push({ ...c, files: { [file]: b } });

  const shards = [...src.files.keys()].filter((f) => f.endsWith('.safetensors')).sort();
  const main = r.pick(shards);
  safetensorsCases(main, src.files.get(main)!, r, amount, put(main));

  for (const [k, v, expect] of configCases(cfg)) {
    const c = structuredClone(cfg);
    setPath(c, k, v);
    const cls = expect === 'value' ? 'value changed in range' : expect === 'error' ? 'value out of range or wrong type' : 'value with a default removed';
    out.push({ cls: `config.json: ${cls}`, what: `${k} = ${v === undefined ? '(removed)' : JSON.stringify(v)}`, expect,
      names: expect === 'error' ? ['config.json', k.split('.').at(-1)!] : undefined, files: { 'config.json': JSON.stringify(c, null, 2) } });
  }
  for (const text of ['', '[]', '{"hidden_size": 12', 'null']) {
    out.push({ cls: 'config.json: not a config', what: JSON.stringify(text), expect: 'error', names: ['config.json'], files: { 'config.json': text } });
  }
  out.push({ cls: 'config.json: not a config', what: 'removed', expect: 'error', names: ['config.json', /missing/], files: { 'config.json': null } });
  for (let i = 0; i < amount.flips / 2; i++) {
    const pos = r.int(cfgText.length);
    const b = patched(enc.encode(cfgText), pos, [r.byteNot(cfgText.charCodeAt(pos))]);
    out.push({ cls: 'config.json: flipped byte', what: `@${pos} ('${cfgText[pos]}')`, expect: 'value', files: { 'config.json': b } });
  }

  const indexText = src.files.get('model.safetensors.index.json');
  if (indexText) {
    const idx = JSON.parse(new TextDecoder().decode(indexText));
    const names = Object.keys(idx.weight_map);
    const t = r.pick(names), home = idx.weight_map[t], away = shards.find((s) => s !== home)!;
    const index = (what: string, text: string, names2: (string | RegExp)[]) =>
      out.push({ cls: 'shard index damage', what, expect: 'error', names: names2, files: { 'model.safetensors.index.json': text } });
    index('no weight_map', JSON.stringify({ metadata: idx.metadata }), [/no weight_map/]);
    index('weight_map is a list', JSON.stringify({ weight_map: names }), [/no weight_map/]);
    index('not JSON', '{"weight_map": {', [/not valid JSON/]);
    index('an entry outside the folder', JSON.stringify({ weight_map: { ...idx.weight_map, [t]: `../${home}` } }), [t, /not a .safetensors file name/]);
    index('a non-safetensors entry', JSON.stringify({ weight_map: { ...idx.weight_map, [t]: 'pytorch_model.bin' } }), [t, /not a .safetensors file name/]);
    index('a tensor in the wrong shard', JSON.stringify({ weight_map: { ...idx.weight_map, [t]: away } }), [t, /not in this shard/]);
    index('a shard that does not exist', JSON.stringify({ weight_map: { ...idx.weight_map, [t]: 'model-00009-of-00009.safetensors' } }), [/model-00009-of-00009.safetensors/, /missing/]);
    out.push({ cls: 'shard index damage', what: `shard ${away} missing`, expect: 'error', names: [away, /missing/], files: { [away]: null } });
    // The same tensor in two shards: a copy of it appended to another shard.
    const tensors: StTensor[] = readStBytes(src.files.get(away)!);
    const copy = readStBytes(src.files.get(home)!).find((x) => x.name === t)!;
    out.push({ cls: 'shard index damage', what: `${t} also in ${away}`, expect: 'error', names: [t, /also present in/], files: { [away]: writeStBytes([...tensors, copy]) } });
  }
  return out;
}

function readStBytes(b: Uint8Array): StTensor[] {
  const st = parseSt(b);
  return Object.entries<any>(st.header).filter(([k]) => k !== '__metadata__').sort((x, y) => x[1].data_offsets[0] - y[1].data_offsets[0])
    .map(([name, e]) => ({ name, dtype: e.dtype, shape: e.shape, data: st.data.slice(e.data_offsets[0], e.data_offsets[1]) }));
}

function writeStBytes(tensors: StTensor[]): Uint8Array {
  const head = stHeader(tensors.map((t) => ({ ...t, size: t.data.length })));
  const out = new Uint8Array(head.length + tensors.reduce((s, t) => s + t.data.length, 0));
  out.set(head);
  let at = head.length;
  for (const t of tensors) { out.set(t.data, at); at += t.data.length; }
  return out;
}
