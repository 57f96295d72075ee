// Hostile files: every corruption must end in a ModelLoadError that names the file (and the tensor
// where there is one), never in a crash, a hang, a huge allocation or an out-of-bounds read. The
// seeded mass damage (and its stricter outcome rules) is model-damage.test.ts.
import { afterAll, describe, expect, test } from 'bun:test';
import { copyFileSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint } from '../src/model/checkpoint.ts';
import { ModelLoadError } from '../src/model/types.ts';
import { GOLDEN } from './helpers/golden.ts';
import { blobs, buildGguf, ggufLayout, T } from './helpers/gguf-layout.ts';
import {
  afterGgufString, expectLoadError, fillAll, patch, readSt, rewriteStHeader, tempDir, u32le, u64le, writeSt,
} from './helpers/model-files.ts';

const tmp = tempDir('corrupt');
afterAll(tmp.cleanup);
const src = join(GOLDEN, 'tiny-a');
copyFileSync(join(src, 'config.json'), join(tmp.dir, 'config.json'));
const stBytes = new Uint8Array(readFileSync(join(src, 'model.safetensors')));
const hlen = Number(new DataView(stBytes.buffer).getBigUint64(0, true));
const ggBytes = new Uint8Array(readFileSync(join(src, 'model.gguf')));

let n = 0;
/** Writes `bytes` as a fresh file next to config.json and returns its path. */
function variant(ext: string, bytes: Uint8Array): string {
  const p = join(tmp.dir, `v${n++}.${ext}`);
  writeFileSync(p, bytes);
  return p;
}
const st = (bytes: Uint8Array) => variant('safetensors', bytes);
const gg = (bytes: Uint8Array) => variant('gguf', bytes);
function stHeaderEdit(mutate: (h: Record<string, any>) => void): string {
  const p = join(tmp.dir, `v${n++}.safetensors`);
  rewriteStHeader(join(src, 'model.safetensors'), p, mutate);
  return p;
}

/** Loads and fills everything: the error may come at load or at fill time. */
function loadAndFill(path: string): void {
  const c = loadCheckpoint(path);
  try {
    for (const r of c.tensors.values()) fillAll(r);
  } finally {
    c.close();
  }
}

describe('safetensors', () => {
  test.each([0, 4, 8, 100, 8 + hlen - 1, 8 + hlen, 8 + hlen + 10, 200_000, stBytes.length - 1])('truncated at %d bytes', (cut) => {
    const p = st(stBytes.slice(0, cut));
    expectLoadError(() => loadAndFill(p), [p, /truncated/]);
  });

  test('header length huge', () => {
    const p = st(patch(stBytes, 0, u64le(1n << 40n)));
    expectLoadError(() => loadCheckpoint(p), [p, /exceeds/]);
  });

  test('header length past EOF', () => {
    const p = st(patch(stBytes, 0, u64le(BigInt(stBytes.length))));
    expectLoadError(() => loadCheckpoint(p), [p, /truncated/]);
  });

  test('JSON garbage and invalid UTF-8', () => {
    const garbage = new TextEncoder().encode('{"model.embed_tokens.weight": {"dtype": [,]');
    let p = st(patch(stBytes, 8, garbage));
    expectLoadError(() => loadCheckpoint(p), [p, /JSON/]);
    p = st(patch(stBytes, 10, [0xff, 0xfe]));
    expectLoadError(() => loadCheckpoint(p), [p, /JSON/]);
    p = stHeaderEdit((h) => { h['lm_head.weight'] = [1, 2]; });
    expectLoadError(() => loadCheckpoint(p), [p, 'lm_head.weight', /not an object/]);
  });

  test('data_offsets past EOF', () => {
    const p = stHeaderEdit((h) => { h['lm_head.weight'].data_offsets = h['lm_head.weight'].data_offsets.map((o: number) => o + 4096); });
    expectLoadError(() => loadCheckpoint(p), [p, 'lm_head.weight', /truncated/]);
  });

  test('data_offsets not matching the shape, absurd or reversed', () => {
    let p = stHeaderEdit((h) => { h['model.norm.weight'].data_offsets[1] += 2; });
    expectLoadError(() => loadCheckpoint(p), [p, 'model.norm.weight', /needs 256/]);
    p = stHeaderEdit((h) => { h['model.norm.weight'].data_offsets = [2 ** 60, 2 ** 60 + 256]; });
    expectLoadError(() => loadCheckpoint(p), [p, 'model.norm.weight', /bad data_offsets/]);
    p = stHeaderEdit((h) => { h['model.norm.weight'].data_offsets.reverse(); });
    expectLoadError(() => loadCheckpoint(p), [p, 'model.norm.weight', /bad data_offsets/]);
  });

  test('overlapping offsets', () => {
    const p = stHeaderEdit((h) => {
      h['model.layers.0.post_attention_layernorm.weight'].data_offsets = h['model.layers.0.input_layernorm.weight'].data_offsets;
    });
    expectLoadError(() => loadCheckpoint(p), [p, /layernorm\.weight/, /overlaps/]);
  });

  test('wrong dtype for a tensor (I32 norm, I8 blocks, unknown dtype)', () => {
    let p = stHeaderEdit((h) => { Object.assign(h['model.layers.0.input_layernorm.weight'], { dtype: 'I32', shape: [64] }); });
    expectLoadError(() => loadCheckpoint(p), [p, 'model.layers.0.input_layernorm.weight', /dtype I32/]);
    p = stHeaderEdit((h) => { h['model.layers.1.mlp.experts.down_proj_blocks'].dtype = 'I8'; });
    expectLoadError(() => loadCheckpoint(p), [p, 'down_proj_blocks', /must be U8/]);
    p = stHeaderEdit((h) => { h['model.norm.weight'].dtype = 'Q4'; });
    expectLoadError(() => loadCheckpoint(p), [p, 'model.norm.weight', /unknown dtype/]);
  });

  test('wrong shape', () => {
    let p = stHeaderEdit((h) => { h['model.layers.0.self_attn.q_proj.weight'].shape = [128, 256]; });
    expectLoadError(() => loadCheckpoint(p), [p, 'q_proj.weight', /shape \[128,256\] but the config needs \[256,128\]/]);
    p = stHeaderEdit((h) => { h['model.layers.2.mlp.experts.gate_up_proj_scales'].shape = [8, 4, 192]; });
    expectLoadError(() => loadCheckpoint(p), [p, 'gate_up_proj_scales', /does not match model.layers.2.mlp.experts.gate_up_proj_blocks/]);
  });

  test('missing tensor, missing scales', () => {
    const all = readSt(join(src, 'model.safetensors'));
    let p = join(tmp.dir, `v${n++}.safetensors`);
    writeSt(p, all.filter((t) => t.name !== 'model.layers.2.self_attn.sinks'));
    expectLoadError(() => loadCheckpoint(p), ['model.layers.2.self_attn.sinks', /missing/]);
    p = join(tmp.dir, `v${n++}.safetensors`);
    writeSt(p, all.filter((t) => t.name !== 'model.layers.3.mlp.experts.down_proj_scales'));
    expectLoadError(() => loadCheckpoint(p), [p, 'model.layers.3.mlp.experts.down_proj_blocks', /no matching .*scales/]);
  });

  test('MXFP4 scale 255 fails at fill time, naming the tensor', () => {
    const scales = readSt(join(src, 'model.safetensors'));
    const i = scales.findIndex((t) => t.name === 'model.layers.1.mlp.experts.gate_up_proj_scales');
    scales[i].data[777] = 255;
    const p = join(tmp.dir, `v${n++}.safetensors`);
    writeSt(p, scales);
    const c = loadCheckpoint(p);
    const e = expectLoadError(() => fillAll(c.tensors.get('layers.1.experts_gate_up')!), [p, 'gate_up_proj_scales', /block 777/, /255/]);
    expect(e.tensor).toBe('model.layers.1.mlp.experts.gate_up_proj_scales');
    c.close();
  });
});

describe('config.json', () => {
  const cfg = JSON.parse(readFileSync(join(src, 'config.json'), 'utf8'));
  function withConfig(edit: (c: any) => void | string): string {
    const dir = join(tmp.dir, `cfg${n++}`);
    mkdirSync(dir);
    const c = structuredClone(cfg);
    const text = edit(c);
    writeFileSync(join(dir, 'config.json'), typeof text === 'string' ? text : JSON.stringify(c));
    copyFileSync(join(src, 'model.safetensors'), join(dir, 'model.safetensors'));
    return dir;
  }
  test.each([
    ['garbage', () => '{"hidden_size": 12', /not valid JSON/],
    ['missing head_dim', (c: any) => void delete c.head_dim, /missing head_dim/],
    ['heads not divisible', (c: any) => void (c.num_key_value_heads = 3), /num_attention_heads 4 is not a multiple of num_key_value_heads 3/],
    ['layer_types length', (c: any) => void c.layer_types.pop(), /layer_types has 3 entries for 4 layers/],
    ['negative size', (c: any) => void (c.hidden_size = -128), /hidden_size must be a positive integer/],
    ['absurd layer count', (c: any) => void (c.num_hidden_layers = 1e9), /implausible/],
    ['unknown rope type', (c: any) => void (c.rope_scaling.rope_type = 'llama3'), /rope_type/],
    ['config disagrees with tensors', (c: any) => void (c.intermediate_size = 64), /experts_gate_up.*shape|shape.*experts/],
  ] as [string, (c: any) => void | string, RegExp][])('%s', (_, edit, re) => {
    const dir = withConfig(edit);
    expectLoadError(() => loadCheckpoint(dir), [dir, re]);
  });

  // Config spellings that must give exactly the golden config.
  test.each([
    ['rope_parameters (transformers v5) like rope_scaling', (c: any) => {
      c.rope_parameters = { ...c.rope_scaling, rope_theta: c.rope_theta };
      delete c.rope_scaling;
      delete c.rope_theta;
    }],
    ['original/config.json names (spec §1.3)', (c: any) => {
      for (const k of ['num_local_experts', 'num_experts_per_tok', 'rope_scaling', 'max_position_embeddings', 'layer_types']) delete c[k];
      Object.assign(c, { num_experts: 8, experts_per_token: 4, rope_scaling_factor: 32, rope_ntk_alpha: 1, rope_ntk_beta: 32 });
    }],
  ] as [string, (c: any) => void][])('%s', (_, edit) => {
    const c = loadCheckpoint(withConfig(edit));
    const ref = loadCheckpoint(src);
    expect(c.config).toEqual(ref.config);
    c.close();
    ref.close();
  });
});

describe('GGUF', () => {
  const at = (s: string) => afterGgufString(ggBytes, s);

  test('bad magic, bad version', () => {
    let p = gg(patch(ggBytes, 0, [0x47, 0x47, 0x55, 0x47]));
    expectLoadError(() => loadCheckpoint(p), [p, /bad magic/]);
    for (const v of [1, 4, 0xffffffff]) {
      p = gg(patch(ggBytes, 4, u32le(v)));
      expectLoadError(() => loadCheckpoint(p), [p, new RegExp(`unsupported GGUF version ${v}`)]);
    }
  });

  const tokensAt = at('tokenizer.ggml.tokens');
  const dataAt = 16160; // golden tiny-a: header ends at 16150, aligned to 32
  test.each([0, 3, 12, 30, tokensAt + 100, dataAt - 20, dataAt + 1000, ggBytes.length - 1])('truncated at %d bytes', (cut) => {
    const p = gg(ggBytes.slice(0, cut));
    expectLoadError(() => loadAndFill(p), [p, /truncated/]);
  });

  test('string length past EOF', () => {
    const p = gg(patch(ggBytes, 24, u64le(BigInt(ggBytes.length))));
    expectLoadError(() => loadCheckpoint(p), [p, /metadata key #0 claims/]);
    const q = gg(patch(ggBytes, 24, u64le(1n << 62n)));
    expectLoadError(() => loadCheckpoint(q), [q, /absurd/]);
  });

  test('array count absurd', () => {
    for (const count of [1n << 60n, 10n ** 9n]) {
      const p = gg(patch(ggBytes, tokensAt + 8, u64le(count)));
      expectLoadError(() => loadCheckpoint(p), [p, 'tokenizer.ggml.tokens', /absurd|cannot fit/]);
    }
  });

  test('array count that fits a (sparse) file but is implausible', () => {
    const p = gg(patch(ggBytes, at('tokenizer.ggml.token_type') + 8, u64le(1n << 25n)));
    truncateSync(p, ggBytes.length + 2 ** 28); // room for 2^25 i32: the count alone is the lie
    expectLoadError(() => loadCheckpoint(p), [p, 'tokenizer.ggml.token_type', /implausibly long/]);
  });

  test('tensor counts absurd', () => {
    let p = gg(patch(ggBytes, 8, u64le(1n << 40n)));
    expectLoadError(() => loadCheckpoint(p), [p, /tensor count/]);
    p = gg(patch(ggBytes, 16, u64le(1n << 40n)));
    expectLoadError(() => loadCheckpoint(p), [p, /metadata count/]);
  });

  // tensor info: name, u32 n_dims, u64 ne[n_dims], u32 type, u64 offset
  const info = (name: string, nd: number) => ({ type: at(name) + 4 + 8 * nd, offset: at(name) + 8 + 8 * nd });

  test('tensor offset past EOF', () => {
    const p = gg(patch(ggBytes, info('output.weight', 2).offset, u64le(1n << 32n)));
    expectLoadError(() => loadCheckpoint(p), [p, 'output.weight', /past the end/]);
  });

  test('unknown type id, unsupported type', () => {
    let p = gg(patch(ggBytes, info('output_norm.weight', 1).type, u32le(99)));
    expectLoadError(() => loadCheckpoint(p), [p, 'output_norm.weight', /unknown GGML type id 99/]);
    // Q4_0: sized, not loadable. Laid out consistently (a type patched in place is a layout lie).
    const l = ggufLayout(ggBytes);
    p = gg(buildGguf(l, blobs(l).map((t) => (t.name === 'token_embd.weight' ? { ...t, type: T.Q4_0, data: t.data.subarray(0, (t.ne[0] / 32) * 18 * t.ne[1]) } : t))));
    expectLoadError(() => loadCheckpoint(p), [p, 'token_embd.weight', /Q4_0 is not supported/]);
  });

  test('unknown metadata value type', () => {
    const p = gg(patch(ggBytes, at('general.type'), u32le(13)));
    expectLoadError(() => loadCheckpoint(p), [p, /general.type: unknown value type 13/]);
  });

  test('missing required metadata key', () => {
    const k = at('gpt-oss.attention.key_length');
    const p = gg(patch(ggBytes, k - 6, new TextEncoder().encode('z')));
    expectLoadError(() => loadCheckpoint(p), [p, /missing metadata key gpt-oss.attention.key_length/]);
  });

  test("architecture 'gptoss' (Ollama dialect) and others are refused clearly", () => {
    const v = at('general.architecture') + 4; // value: u64 len + "gpt-oss"
    // One byte shorter; one more byte of padding keeps the data section where it was.
    const b = new Uint8Array(ggBytes.length);
    b.set(ggBytes.subarray(0, v));
    b.set(u64le(6n), v);
    b.set(new TextEncoder().encode('gptoss'), v + 8);
    b.set(ggBytes.subarray(v + 15, dataAt - 1), v + 14);
    b.set(ggBytes.subarray(dataAt - 1), dataAt - 1);
    let p = gg(b);
    expectLoadError(() => loadCheckpoint(p), [p, /gptoss.*Ollama/]);
    p = gg(patch(ggBytes, v + 8, new TextEncoder().encode('llama-x')));
    expectLoadError(() => loadCheckpoint(p), [p, /"llama-x" is not gpt-oss/]);
  });

  test('shape disagreeing with the metadata', () => {
    const k = at('gpt-oss.expert_feed_forward_length') + 4;
    const p = gg(patch(ggBytes, k, u32le(64)));
    expectLoadError(() => loadCheckpoint(p), [p, /ffn_gate_exps.*shape|shape.*needs/]);
  });

  test('MXFP4 scale 255 fails at fill time, naming the tensor', () => {
    const t = Number(new DataView(ggBytes.buffer).getBigUint64(info('blk.2.ffn_up_exps.weight', 3).offset, true));
    const p = gg(patch(ggBytes, dataAt + t + 17 * 5, [255]));
    const c = loadCheckpoint(p);
    const e = expectLoadError(() => fillAll(c.tensors.get('layers.2.experts_gate_up')!), [p, 'blk.2.ffn_up_exps.weight', /block 5 /]);
    expect(e.file).toBe(p);
    c.close();
  });
});
