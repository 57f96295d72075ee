// One test per validation check of the checkpoint readers (gguf.ts, gguf-load.ts, cursor.ts,
// safetensors.ts, hf.ts, config.ts, finite.ts): each builds the smallest damage that reaches its
// check and expects that check's own message, so removing the check fails the test (another
// check catching the damage later says something else). Files are rebuilt consistently where an
// in-place patch would trip the layout check first.
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCpuBackend } from '../src/backends/cpu/cpu-backend.ts';
import { Engine } from '../src/engine/engine.ts';
import { firstBadValue } from '../src/model/finite.ts';
import { writeGguf } from '../src/synth/gguf-write.ts';
import { loadCheckpoint } from '../src/model/checkpoint.ts';
import { synthCheckpoint } from '../src/synth/generator.ts';
import { configOfJson, presetConfigJson } from '../src/synth/presets.ts';
import { GOLDEN } from './helpers/golden.ts';
import { blobs, buildGguf, ggufLayout, kvEntry, T, type Blob } from './helpers/gguf-layout.ts';
import { expectLoadError, fillAll, readSt, tempDir, u32le, u64le, writeShards, writeSt } from './helpers/model-files.ts';

const tmp = tempDir('checks');
afterAll(tmp.cleanup);
const SRC = join(GOLDEN, 'tiny-a');
const GG = new Uint8Array(readFileSync(join(SRC, 'model.gguf')));
const L = ggufLayout(GG);
const info = (name: string) => L.infos.find((t) => t.name === name)!;
const enc = new TextEncoder();
const gstr = (s: string | number[]) => { const b = typeof s === 'string' ? enc.encode(s) : Uint8Array.from(s); return [...u64le(BigInt(b.length)), ...b]; };

let n = 0;
function file(bytes: Uint8Array, ext = 'gguf'): string {
  const p = join(tmp.dir, `c${n++}.${ext}`);
  writeFileSync(p, bytes);
  return p;
}
const patch = (b: Uint8Array, at: number, bytes: ArrayLike<number>) => { const c = b.slice(); c.set(bytes as number[], at); return c; };
const concat = (...parts: ArrayLike<number>[]) => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p as number[], at); at += p.length; }
  return out;
};
const rebuilt = (edit: (t: Blob[]) => Blob[] = (t) => t, o: Parameters<typeof buildGguf>[2] = {}) => file(buildGguf(L, edit(blobs(L)), o));
const load = (p: string) => () => loadCheckpoint(p).close();
function loadAndFill(p: string): () => void {
  return () => {
    const c = loadCheckpoint(p);
    try { for (const r of c.tensors.values()) fillAll(r); } finally { c.close(); }
  };
}

describe('GGUF container (gguf.ts, cursor.ts)', () => {
  test('control: the rebuilt golden (and one at alignment 64) loads with the same bytes', () => {
    const ref = loadCheckpoint(join(SRC, 'model.gguf'));
    for (const p of [rebuilt(), rebuilt(undefined, { alignment: 64, extraKv: [kvEntry('general.alignment', 4, u32le(64))] })]) {
      const c = loadCheckpoint(p);
      for (const [name, r] of ref.tensors) expect(Buffer.compare(fillAll(c.tensors.get(name)!), fillAll(r))).toBe(0);
      c.close();
    }
    ref.close();
  });

  test('duplicate metadata key', () => {
    const p = rebuilt(undefined, { extraKv: [kvEntry('general.name', 8, gstr('again'))] });
    expectLoadError(load(p), [p, /duplicate metadata key general.name/]);
  });

  test('bool byte other than 0 or 1 (1 loads)', () => {
    expect(load(rebuilt(undefined, { extraKv: [kvEntry('oss-edge.flag', 7, [1])] }))).not.toThrow();
    const p = rebuilt(undefined, { extraKv: [kvEntry('oss-edge.flag', 7, [2])] });
    expectLoadError(load(p), [p, /oss-edge.flag: bool byte 2 is not 0 or 1/]);
  });

  test('nested arrays, unknown array element type', () => {
    let p = rebuilt(undefined, { extraKv: [kvEntry('oss-edge.nested', 9, [...u32le(9), ...u64le(1n), ...u32le(4), ...u64le(0n)])] });
    expectLoadError(load(p), [p, /oss-edge.nested: nested arrays are not supported/]);
    p = rebuilt(undefined, { extraKv: [kvEntry('oss-edge.arr', 9, [...u32le(13), ...u64le(0n)])] });
    expectLoadError(load(p), [p, /oss-edge.arr: unknown array element type 13/]);
  });

  test('invalid UTF-8 in a string value and in a key', () => {
    let p = rebuilt(undefined, { extraKv: [kvEntry('oss-edge.s', 8, gstr([0x61, 0xff, 0xfe]))] });
    expectLoadError(load(p), [p, /oss-edge.s at offset \d+ is not valid UTF-8/]);
    const bad = kvEntry('oss-edge.k', 4, u32le(1));
    bad[8 + 9] = 0xc3; // "oss-edge.\xc3": a lead byte with no continuation
    p = rebuilt(undefined, { extraKv: [bad] });
    expectLoadError(load(p), [p, /metadata key #\d+ at offset \d+ is not valid UTF-8/]);
  });

  test('general.alignment that is not a power of two', () => {
    const p = rebuilt(undefined, { alignment: 64, extraKv: [kvEntry('general.alignment', 4, u32le(48))] });
    expectLoadError(load(p), [p, /general.alignment 48 is not a power of two/]);
  });

  test('duplicate tensor', () => {
    const p = rebuilt((t) => [...t, t.find((x) => x.name === 'output_norm.weight')!]);
    expectLoadError(load(p), [p, 'tensor output_norm.weight: duplicate tensor']);
  });

  test('n_dims 0 and 5', () => {
    for (const nd of [0, 5]) {
      const p = file(patch(GG, info('output_norm.weight').ndAt, u32le(nd)));
      expectLoadError(load(p), [p, 'output_norm.weight', new RegExp(`n_dims ${nd} outside 1..4`)]);
    }
  });

  test('an element count of zero, and one that overflows', () => {
    const t = info('token_embd.weight');
    let p = file(patch(GG, t.neAt + 8, u64le(0n)));
    expectLoadError(load(p), [p, 'token_embd.weight', /ne\[1\] is 0/]);
    p = file(patch(patch(GG, t.neAt, u64le(1n << 40n)), t.neAt + 8, u64le(1n << 20n)));
    expectLoadError(load(p), [p, 'token_embd.weight', /element count overflows/]);
  });

  test('a row that is not a whole number of blocks', () => {
    const t = info('blk.0.ffn_down_exps.weight');
    const p = file(patch(GG, t.neAt, u64le(80n)));
    expectLoadError(load(p), [p, t.name, /ne\[0\] = 80 is not a multiple of the MXFP4 block size 32/]);
  });

  test('misaligned offset', () => {
    const t = info('blk.0.attn_k.bias');
    const p = file(patch(GG, t.offsetAt, u64le(BigInt(t.rel + 1))));
    expectLoadError(load(p), [p, t.name, /data offset \d+ is not a multiple of the alignment 32/]);
  });

  test('overlapping offsets: the offset that disagrees with both neighbours is named', () => {
    const a = info('blk.0.attn_k.weight'), b = info('blk.0.attn_k.bias');
    const p = file(patch(GG, b.offsetAt, u64le(BigInt(a.rel))));
    expectLoadError(load(p), [p, `tensor ${b.name}: data offset ${a.rel} expected ${a.rel + a.byteSize}`]);
  });

  test('the first tensor does not start the data section', () => {
    const t = L.infos[0];
    const p = file(patch(GG, t.offsetAt, u64le(BigInt(L.alignment))));
    expectLoadError(load(p), [p, t.name, /expected 0/]);
  });

  test('a type that disagrees with the data layout names the tensor', () => {
    const t = info('blk.0.attn_q.weight');
    const p = file(patch(GG, t.typeAt, u32le(T.F16)));
    expectLoadError(load(p), [p, `tensor ${t.name}: F16`, /the next tensor \(blk.0.attn_q.bias\) starts \d+ bytes after this one: the type or shape is damaged/]);
  });

  test('a type change the padding absorbs is caught by the non-zero padding (F32 → F16, 16 → 8 bytes)', () => {
    const t = info('blk.0.attn_sinks.weight');
    expect(t.byteSize).toBe(16);
    const p = file(patch(GG, t.typeAt, u32le(T.F16)));
    expectLoadError(load(p), [p, `tensor ${t.name}`, /in the zero padding after the data of F16 \[4\] \(8 bytes\)/]);
  });

  test('non-zero bytes in the padding before the data section', () => {
    expect(L.dataOffset).toBeGreaterThan(L.infoEnd);
    const p = file(patch(GG, L.infoEnd, [7]));
    expectLoadError(load(p), [p, /byte 7 at offset \d+ in the zero padding before the data section/]);
  });

  test('bytes after the last tensor (the header lists too few tensors)', () => {
    const p = file(concat(GG, new Uint8Array(64)));
    expectLoadError(load(p), [p, `tensor ${L.infos.at(-1)!.name}`, /64 more bytes after its padding: .* the header lists too few tensors/]);
  });

  test('a tensor count lowered by one is refused by the header, before any weight is read', () => {
    const p = file(patch(GG, 8, u64le(BigInt(L.nTensors - 1))));
    expectLoadError(load(p), [p, /zero padding before the data section|more bytes after its padding/]);
  });
});

describe('GGUF metadata (gguf-load.ts)', () => {
  const kv = (key: string) => L.kvs.find((k) => k.key === key)!;

  test('value_length that differs from key_length', () => {
    const p = file(patch(GG, kv('gpt-oss.attention.value_length').valueAt, u32le(65)));
    expectLoadError(load(p), [p, /gpt-oss.attention.value_length 65 differs from attention.key_length 64/]);
  });

  test('an unsupported RoPE scaling type', () => {
    const p = file(patch(GG, kv('gpt-oss.rope.scaling.type').valueAt + 8, enc.encode('yarz')));
    expectLoadError(load(p), [p, /unsupported gpt-oss.rope.scaling.type "yarz"/]);
  });

  test('a metadata value out of range is named by its GGUF key', () => {
    const eps = new Uint8Array(4);
    new DataView(eps.buffer).setFloat32(0, 1e-30, true);
    const p = file(patch(GG, kv('gpt-oss.attention.layer_norm_rms_epsilon').valueAt, eps));
    expectLoadError(load(p), [p, /gpt-oss.attention.layer_norm_rms_epsilon 1e-30 is outside \[1e-12, 0.01\]/]);
  });

  test('gate and up halves of different types', () => {
    const p = rebuilt((ts) => ts.map((t) => (t.name === 'blk.0.ffn_up_exps.weight' ? { ...t, type: T.Q8_0, data: new Uint8Array((t.data.length / 17) * 34) } : t)));
    expectLoadError(load(p), [p, 'blk.0.ffn_up_exps.weight', /type\/shape \(8, .*\) differ from blk.0.ffn_gate_exps.weight \(39,/]);
  });

  test('tokenizer arrays with one entry per embedding row', () => {
    const tiny = synthCheckpoint(configOfJson(presetConfigJson('tiny')), { seed: 1 });
    const names = Array.from({ length: 511 }, (_, i) => `t${i}`);
    let p = join(tmp.dir, `c${n++}.gguf`);
    writeGguf(p, tiny, { metadata: { 'tokenizer.ggml.tokens': names } });
    expectLoadError(load(p), [p, /tokenizer.ggml.tokens has 511 entries but token_embd.weight has 512 rows/]);
    p = join(tmp.dir, `c${n++}.gguf`);
    writeGguf(p, tiny, { metadata: { 'tokenizer.ggml.tokens': [...names, 'last'], 'tokenizer.ggml.token_type': names.map(() => 1) } });
    expectLoadError(load(p), [p, /tokenizer.ggml.token_type has 511 entries for 512 tokens/]);
  });
});

describe('safetensors container (safetensors.ts)', () => {
  const st = new Uint8Array(readFileSync(join(SRC, 'model.safetensors')));
  const hlen = Number(new DataView(st.buffer).getBigUint64(0, true));
  const folder = (bytes: Uint8Array) => {
    const dir = join(tmp.dir, `hf${n++}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), readFileSync(join(SRC, 'config.json')));
    writeFileSync(join(dir, 'model.safetensors'), bytes);
    return join(dir, 'model.safetensors');
  };
  const withHeader = (edit: (h: Record<string, any>) => void, data = st.subarray(8 + hlen)) => {
    const h = JSON.parse(new TextDecoder().decode(st.subarray(8, 8 + hlen)));
    edit(h);
    const json = enc.encode(JSON.stringify(h));
    const out = new Uint8Array(8 + json.length + data.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    out.set(data, 8 + json.length);
    return folder(out);
  };

  test('a header length that stops inside the trailing padding spaces (still valid JSON) leaves bytes unaccounted for', () => {
    expect(new TextDecoder().decode(st.subarray(8 + hlen - 2, 8 + hlen))).toBe('  ');
    for (const d of [1, 2]) {
      const p = folder(patch(st, 0, u64le(BigInt(hlen - d))));
      expectLoadError(load(p), [p, new RegExp(`${d} bytes are not accounted for`)]);
    }
  });

  test('a gap between two tensors', () => {
    const h = JSON.parse(new TextDecoder().decode(st.subarray(8, 8 + hlen)));
    const at = h['model.norm.weight'].data_offsets[0];
    const data = st.subarray(8 + hlen);
    const gapped = concat(data.subarray(0, at), [0, 0], data.subarray(at));
    const p = withHeader((x) => {
      for (const v of Object.values<any>(x)) if (v.data_offsets && v.data_offsets[0] >= at) v.data_offsets = v.data_offsets.map((o: number) => o + 2);
    }, gapped);
    expectLoadError(load(p), [p, 'model.norm.weight', /gap of 2 bytes before this tensor's data/]);
  });

  test('a header that is not a JSON object; a bad shape; a shape that is not whole bytes', () => {
    let p = folder(concat(u64le(8n), enc.encode('[]      ')));
    expectLoadError(load(p), [p, /header is not a JSON object/]);
    p = withHeader((h) => { h['model.norm.weight'].shape = [-128]; });
    expectLoadError(load(p), [p, 'model.norm.weight', /bad shape \[-128\]/]);
    p = withHeader((h) => { h['extra.f4'] = { dtype: 'F4', shape: [3], data_offsets: [0, 2] }; });
    expectLoadError(load(p), [p, 'extra.f4', /not a whole number of bytes of F4/]);
  });
});

describe('HF folder and shard index (hf.ts)', () => {
  const tensors = readSt(join(SRC, 'model.safetensors'));
  function sharded(): { dir: string; shards: string[]; index: string } {
    const dir = join(tmp.dir, `shards${n++}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), readFileSync(join(SRC, 'config.json')));
    const shards = writeShards(dir, tensors, 2);
    return { dir, shards, index: join(dir, 'model.safetensors.index.json') };
  }
  const idx = (s: { index: string }) => JSON.parse(readFileSync(s.index, 'utf8'));

  test('an index without a weight_map object', () => {
    const s = sharded();
    for (const text of [JSON.stringify({ metadata: {} }), JSON.stringify({ weight_map: ['a'] })]) {
      writeFileSync(s.index, text);
      expectLoadError(load(s.dir), [s.index, /no weight_map object/]);
    }
  });

  test('a weight_map entry that is not a .safetensors file in the folder', () => {
    const s = sharded();
    for (const f of ['pytorch_model.bin', '../model-00000-of-00001.safetensors']) {
      writeFileSync(s.index, JSON.stringify({ weight_map: { ...idx(s).weight_map, 'lm_head.weight': f } }));
      expectLoadError(load(s.dir), [s.index, 'lm_head.weight', /is not a .safetensors file name/]);
    }
  });

  test('a tensor present in two shards', () => {
    const s = sharded();
    const second = join(s.dir, s.shards[1]);
    writeSt(second, [...readSt(second), tensors[0]]);
    expectLoadError(load(s.dir), [tensors[0].name, /also present in .*model-00000-of-00001.safetensors/]);
  });
});

describe('config values (config.ts)', () => {
  const cfg = JSON.parse(readFileSync(join(SRC, 'config.json'), 'utf8'));
  function withConfig(edit: (c: any) => void): string {
    const dir = join(tmp.dir, `cfg${n++}`);
    mkdirSync(dir);
    const c = structuredClone(cfg);
    edit(c);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
    writeFileSync(join(dir, 'model.safetensors'), readFileSync(join(SRC, 'model.safetensors')));
    return dir;
  }
  test.each([
    ['rms_norm_eps out of range', (c: any) => void (c.rms_norm_eps = 1e-30), /rms_norm_eps 1e-30 is outside \[1e-12, 0.01\]/],
    ['rope_theta not above 1', (c: any) => void (c.rope_theta = 1), /rope_theta 1 is outside \(1, 10000000000\]/],
    ['swiglu_limit not positive', (c: any) => void (c.swiglu_limit = 0), /swiglu_limit 0 is outside \(0, 1000\]/],
    ['YaRN factor below 1', (c: any) => void (c.rope_scaling.factor = 0.5), /rope_scaling.factor 0.5 is outside \[1, 1024\]/],
    ['YaRN beta_fast not above beta_slow', (c: any) => void (c.rope_scaling.beta_fast = 1), /rope_scaling.beta_fast 1 must exceed rope_scaling.beta_slow 1/],
    ['original context beyond the context', (c: any) => void (c.max_position_embeddings = 2048), /original_max_position_embeddings 4096 exceeds max_position_embeddings 2048/],
    ['context beyond original × factor', (c: any) => void (c.max_position_embeddings = 262144), /max_position_embeddings 262144 exceeds .* = 131072/],
    ['sliding window beyond the context', (c: any) => { c.rope_scaling = undefined; c.max_position_embeddings = 8; c.sliding_window = 9; }, /sliding_window 9 exceeds the context of 8 positions/],
    ['an implausible size', (c: any) => void (c.hidden_size = 1e6), /hidden_size 1000000 is implausible/],
  ] as [string, (c: any) => void, RegExp][])('%s', (_, edit, re) => {
    const dir = withConfig(edit);
    expectLoadError(load(dir), [join(dir, 'config.json'), re]);
  });
});

describe('weights no checkpoint holds (finite.ts, records.ts)', () => {
  const f32 = (...v: number[]) => new Uint8Array(Float32Array.from(v).buffer);
  const u16 = (...v: number[]) => new Uint8Array(Uint16Array.from(v).buffer);

  test('firstBadValue: NaN, ±infinity, 2^64 and beyond; just below is fine; any alignment and tail', () => {
    expect(firstBadValue('f32', f32(1, -2, 2 ** 63 * 1.99, 2 ** -140), 0, 16)).toBeNull();
    expect(firstBadValue('f32', f32(1, NaN), 0, 8)).toEqual({ index: 1, what: 'NaN' });
    expect(firstBadValue('f32', f32(1, 2, -Infinity), 0, 12)).toEqual({ index: 2, what: '-infinity' });
    expect(firstBadValue('f32', f32(2 ** 64), 0, 4)?.what).toMatch(/magnitude 2\^64/);
    const shifted = new Uint8Array(21);
    shifted.set(f32(0, 0, 0, 0, Infinity), 1); // a misaligned view, the bad value in the tail
    expect(firstBadValue('f32', shifted.subarray(1), 0, 20)).toEqual({ index: 4, what: 'infinity' });
    // bf16: 0x5f80 = 2^64, 0x5f7f just below; 0x7fc0 NaN; both lanes of a word are tested
    expect(firstBadValue('bf16', u16(0x3f80, 0x5f7f, 0xdf7f, 0x0001), 0, 8)).toBeNull();
    expect(firstBadValue('bf16', u16(0x3f80, 0x5f80), 0, 4)).toEqual({ index: 1, what: 'of magnitude 2^64 (no trained weight is ≥ 2^64)' });
    expect(firstBadValue('bf16', u16(0x7fc0, 0x3f80), 0, 4)).toEqual({ index: 0, what: 'NaN' });
    // f16: 65504 is fine, 0x7c00 is infinity
    expect(firstBadValue('f16', u16(0x7bff, 0xfbff), 0, 4)).toBeNull();
    expect(firstBadValue('f16', u16(0x3c00, 0x3c00, 0xfc00), 0, 6)).toEqual({ index: 2, what: '-infinity' });
    // q8_0: the f16 scale of each 34-byte block
    const q = new Uint8Array(68);
    q.set(u16(0x3c00), 0);
    q.set(u16(0x7e00), 34);
    expect(firstBadValue('q8_0', q, 0, 68)).toEqual({ index: 1, what: 'a scale that is NaN' });
    // mxfp4: scale bytes up to 190 are fine, 191 (2^64) and 255 (NaN) are not
    const m = new Uint8Array(51);
    m[0] = 190; m[17] = 127;
    expect(firstBadValue('mxfp4', m, 0, 34)).toBeNull();
    m[34] = 191;
    expect(firstBadValue('mxfp4', m, 0, 51)?.index).toBe(2);
  });

  test('a NaN in an F32 GGUF tensor fails the fill, naming the tensor and the element', () => {
    const t = info('blk.2.attn_q.weight');
    const p = file(patch(GG, L.dataOffset + t.rel + 4 * 77, f32(NaN)));
    expectLoadError(loadAndFill(p), [p, t.name, /f32 value 77 is NaN \(damaged weights\)/]);
  });

  test('BF16 HF weights: infinity fails the fill; re-quantising to Q8_0 (fillRows) checks too', async () => {
    const tensors = readSt(join(SRC, 'model.safetensors'));
    const q = tensors.find((x) => x.name === 'model.layers.1.self_attn.q_proj.weight')!;
    q.data.set(u16(0x7f80), 2 * 300);
    const dir = join(tmp.dir, `inf${n++}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), readFileSync(join(SRC, 'config.json')));
    writeSt(join(dir, 'model.safetensors'), tensors);
    expectLoadError(loadAndFill(dir), [q.name, /bf16 value 300 is infinity/]);
    let err: unknown;
    await Engine.load(dir, { threads: 1, context: 16, precision: 'fast', denseQ8: true }, createCpuBackend).catch((e) => { err = e; });
    expect(String(err)).toMatch(/model.layers.1.self_attn.q_proj.weight: bf16 value 300 is infinity/);
  });

  test('an MXFP4 scale of 2^64 (byte 191) in an HF checkpoint fails the fill', () => {
    const tensors = readSt(join(SRC, 'model.safetensors'));
    const s = tensors.find((x) => x.name === 'model.layers.0.mlp.experts.down_proj_scales')!;
    s.data[9] = 191;
    const dir = join(tmp.dir, `mx${n++}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), readFileSync(join(SRC, 'config.json')));
    writeSt(join(dir, 'model.safetensors'), tensors);
    expectLoadError(loadAndFill(dir), [s.name, /MXFP4 block 9 has scale byte 191 \(2\^64/]);
  });
});
