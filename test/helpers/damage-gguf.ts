// Damage to a GGUF checkpoint, aimed with the test-side parser (gguf-layout.ts) so that every case
// knows which field it hit: truncations, flipped header bytes, lying types/shapes/offsets/counts,
// metadata values out of range (and a few in range), flipped tensor data.
import { ggufLayout, T, type GgufLayout, type InfoField } from './gguf-layout.ts';
import { u32le, u64le } from './model-files.ts';
import { cuts, enc, f32le, FULL, patched, rng, type Amount, type Case, type Expect, type Source } from './damage.ts';

/** Metadata the config is built from (src/model/gguf-load.ts): a flip in its value is a value change. */
const isConfigKey = (k: string) => k.startsWith('gpt-oss.') || k === 'tokenizer.ggml.eos_token_id' || k === 'tokenizer.ggml.padding_token_id';

/** Which field byte `pos` of the header belongs to. */
function regionOf(l: GgufLayout, pos: number): { region: string; configValue: boolean } {
  if (pos < 24) return { region: pos < 8 ? 'magic/version' : 'counts', configValue: false };
  const kv = l.kvs.find((k) => pos >= k.at && pos < k.end);
  if (kv) {
    const part = pos < kv.keyAt ? 'key length' : pos < kv.typeAt ? 'key' : pos < kv.valueAt ? 'value type' : 'value';
    return { region: `metadata ${part}`, configValue: part === 'value' && isConfigKey(kv.key) };
  }
  const t = l.infos.find((i) => pos >= i.at && pos < i.end);
  if (t) {
    const part = pos < t.ndAt ? 'name' : pos < t.neAt ? 'n_dims' : pos < t.typeAt ? 'ne' : pos < t.offsetAt ? 'type' : 'offset';
    return { region: `tensor info ${part}`, configValue: false };
  }
  return { region: 'padding', configValue: false };
}

/** One tensor per role the readers treat differently (when the file has one). */
function roles(l: GgufLayout): InfoField[] {
  const pick = (re: RegExp) => l.infos.find((t) => re.test(t.name));
  const chosen = [l.infos[0], pick(/ffn_down_exps\.weight/), l.infos.at(-1), pick(/attn_sinks/), pick(/attn_norm/),
    pick(/attn_q\.weight/), pick(/ffn_(gate|gate_up)_exps\.bias/), pick(/ffn_gate_inp\.weight/)];
  return [...new Set(chosen.filter((t): t is InfoField => t !== undefined))];
}

export function ggufCases(src: Source, seed: number, amount: Amount = FULL): Case[] {
  const bytes = src.files.get(src.entry)!;
  const l = ggufLayout(bytes);
  const r = rng(seed);
  const out: Case[] = [];
  const put = (cls: string, what: string, expect: Expect, b: Uint8Array, names?: (string | RegExp)[]) =>
    out.push({ cls: `gguf: ${cls}`, what, expect, names, files: { [src.entry]: b } });
  const last = l.infos.at(-1)!;
  const lastEnd = l.dataOffset + last.rel + last.byteSize;

  // Truncations: anywhere before the end of the last tensor's data; after it only padding is lost.
  for (const c of cuts(bytes.length, amount.cuts, [1, 8, 23, l.infoStart, l.infoEnd - 1, l.dataOffset - 1, l.dataOffset, lastEnd - 1, bytes.length - 1])) {
    put('truncation', `cut at ${c} of ${bytes.length}`, c < lastEnd ? 'error' : 'error|identical', bytes.subarray(0, c), c < lastEnd ? [/truncated/] : undefined);
  }

  // Flipped header bytes: one, or two to four at once.
  for (let i = 0; i < amount.flips; i++) {
    const n = i < amount.flips * 0.75 ? 1 : 2 + r.int(3);
    const b = bytes.slice();
    const where: string[] = [];
    let value = false;
    for (let k = 0; k < n; k++) {
      const pos = r.int(l.dataOffset);
      b[pos] = r.byteNot(bytes[pos]);
      const g = regionOf(l, pos);
      where.push(`${g.region} @${pos}`);
      value ||= g.configValue;
    }
    put(`flipped header byte${n > 1 ? 's' : ''}`, where.join(', '), value ? 'value' : 'error|identical', b);
  }

  // Lying tensor infos: each must be an error naming the tensor.
  for (const t of roles(l).slice(0, amount.roles)) {
    for (const [name, id] of Object.entries(T)) {
      if (id === t.type || name === 'Q4_0') continue;
      // F16 ↔ BF16 keeps every size and offset: the header and the data agree, the values are other values.
      const lie = (id === T.F16 && t.type === T.BF16) || (id === T.BF16 && t.type === T.F16);
      put(lie ? 'consistent lie (F16 ↔ BF16)' : 'tensor type lie', `${t.name}: type ${t.type} → ${name}`, lie ? 'lie' : 'error', patched(bytes, t.typeAt, u32le(id)), lie ? undefined : [t.name]);
    }
    const ne = (d: number, v: number) => patched(bytes, t.neAt + 8 * d, u64le(BigInt(v)));
    put('tensor shape lie', `${t.name}: ne[0] × 2`, 'error', ne(0, t.ne[0] * 2), [t.name]);
    put('tensor shape lie', `${t.name}: ne[last] + 1`, 'error', ne(t.ne.length - 1, t.ne.at(-1)! + 1), [t.name]);
    put('tensor shape lie', `${t.name}: ne[0] = 0`, 'error', ne(0, 0), [t.name]);
    if (t.ne.length >= 2 && t.ne[0] !== t.ne[1]) {
      const sw = patched(patched(bytes, t.neAt, u64le(BigInt(t.ne[1]))), t.neAt + 8, u64le(BigInt(t.ne[0])));
      put('tensor shape lie', `${t.name}: ne[0] ↔ ne[1] (same size)`, 'error', sw, [t.name]);
    }
    const off = (v: number) => patched(bytes, t.offsetAt, u64le(BigInt(v)));
    put('tensor offset lie', `${t.name}: offset + alignment`, 'error', off(t.rel + l.alignment), [t.name]);
    put('tensor offset lie', `${t.name}: offset + 1`, 'error', off(t.rel + 1), [t.name]);
    if (t.rel >= l.alignment) put('tensor offset lie', `${t.name}: offset − alignment`, 'error', off(t.rel - l.alignment), [t.name]);
    put('tensor n_dims lie', `${t.name}: n_dims + 1`, 'error', patched(bytes, t.ndAt, u32le(t.ne.length + 1)));
    if (t.ne.length > 1) put('tensor n_dims lie', `${t.name}: n_dims − 1`, 'error', patched(bytes, t.ndAt, u32le(t.ne.length - 1)));
  }
  for (const [at, what, v] of [[8, 'tensor count', l.nTensors], [16, 'metadata count', l.nKv]] as const) {
    for (const d of [-1, 1]) put('count lie', `${what} ${d > 0 ? '+' : '−'} 1`, 'error', patched(bytes, at, u64le(BigInt(v + d))));
  }

  // Metadata values: out of range or inconsistent → an error naming the key; × 2 may be in range.
  for (const kv of l.kvs) {
    if (!isConfigKey(kv.key) && kv.key !== 'general.architecture') continue;
    // feed_forward_length is read only without expert_feed_forward_length; a token id of 0 is a valid id.
    const unused = kv.key === 'gpt-oss.feed_forward_length' && l.kvs.some((k) => k.key === 'gpt-oss.expert_feed_forward_length');
    const tokenId = kv.key.startsWith('tokenizer.');
    const dv = new DataView(bytes.buffer, bytes.byteOffset + kv.valueAt);
    if (unused) {
      put('metadata value of an unused key', `${kv.key} = 0`, 'error|identical', patched(bytes, kv.valueAt, u32le(0)));
    } else if (kv.type === 4) { // u32
      const v = dv.getUint32(0, true);
      put(tokenId ? 'metadata value changed' : 'metadata value out of range', `${kv.key} = 0`, tokenId ? 'value' : 'error', patched(bytes, kv.valueAt, u32le(0)), tokenId ? undefined : [kv.key]);
      put('metadata value out of range', `${kv.key} = 2^32 − 1`, 'error', patched(bytes, kv.valueAt, u32le(0xffffffff)), [kv.key]);
      put('metadata value changed', `${kv.key} ${v} → ${v * 2}`, 'value', patched(bytes, kv.valueAt, u32le(v * 2)));
    } else if (kv.type === 6) { // f32
      const v = dv.getFloat32(0, true);
      for (const bad of [NaN, Infinity, 0, -v, 1e30]) {
        put('metadata value out of range', `${kv.key} = ${bad}`, 'error', patched(bytes, kv.valueAt, f32le(bad)), [kv.key]);
      }
      put('metadata value changed', `${kv.key} ${v} → ${v * 2}`, 'value', patched(bytes, kv.valueAt, f32le(v * 2)));
    } else if (kv.type === 8) { // string: same length, another value
      const s = new TextDecoder().decode(bytes.subarray(kv.valueAt + 8, kv.end));
      const other = s.slice(0, -1) + (s.endsWith('z') ? 'y' : 'z');
      put('metadata value out of range', `${kv.key} "${s}" → "${other}"`, 'error', patched(bytes, kv.valueAt + 8, enc.encode(other)), [kv.key]);
    }
  }

  // Tensor data: random flips (no format can see these), and values no checkpoint holds.
  for (let i = 0; i < amount.dataFlips; i++) {
    const t = r.pick(l.infos);
    const pos = l.dataOffset + t.rel + r.int(t.byteSize);
    put('flipped data byte', `${t.name} @${pos}`, 'raw', patched(bytes, pos, [r.byteNot(bytes[pos])]));
  }
  for (const t of l.infos.filter((i) => i.type === T.F32).slice(0, 2)) {
    const at = l.dataOffset + t.rel + 4 * r.int(t.byteSize / 4);
    put('non-finite weight', `${t.name}: NaN`, 'error', patched(bytes, at, f32le(NaN)), [t.name, /NaN/]);
    put('non-finite weight', `${t.name}: 1e30`, 'error', patched(bytes, at, f32le(1e30)), [t.name, /2\^99/]);
  }
  const mx = l.infos.find((i) => i.type === T.MXFP4);
  if (mx) put('non-finite weight', `${mx.name}: scale byte 255`, 'error', patched(bytes, l.dataOffset + mx.rel + 17 * r.int(mx.byteSize / 17), [255]), [mx.name, /255/]);
  return out;
}
