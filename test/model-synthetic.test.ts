// Shapes other than the goldens, from the shared generator (numpy only): 3 layers, 6 query / 3 KV
// heads of 16, 5 experts, top-2, I = 32 (so H = 2I: the transposed-experts shape is square).
// Values are checked against the generator's own dequantizer (the OpenAI reference LUT), then the
// same weights are re-read from transformers' dequantized layout, OpenAI's original/ layout and
// our GGUF.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeGguf } from '../src/synth/gguf-write.ts';
import { loadCheckpoint } from '../src/model/checkpoint.ts';
import type { Checkpoint } from '../src/model/types.ts';
import { SHARED } from './helpers/golden.ts';
import { dequantAll, fillAll, readSt, tempDir, writeSt } from './helpers/model-files.ts';
import { q8Reference } from './helpers/q8-reference.ts';
import { PYTHON_NUMPY, requires } from './helpers/requirements.ts';

const TOOLS = join(SHARED, 'tools');

// The oracle: every HF tensor dequantized by gen_gpt_oss.py itself (experts by dequant_hf_mxfp4),
// and a copy of the checkpoint with the experts as transformers keeps them in memory: bf16 [E, in, out].
const ORACLE = `
import json, sys
from pathlib import Path
import numpy as np
sys.path.insert(0, sys.argv[1])
import gen_gpt_oss as g
d = Path(sys.argv[2])
t = g.read_safetensors(d / 'model.safetensors')
index, chunks, off = {}, [], 0
entries, arrays = [], []
for name, a in t.items():
    if name.endswith('_scales'):
        continue
    if name.endswith('_blocks'):
        name = name[:-len('_blocks')]
        v = g.dequant_hf_mxfp4(a, t[name + '_scales'])
        entries.append((name, 'BF16', v.shape[:1] + v.shape[:0:-1]))
        arrays.append((name, g.f32_to_bf16_bits(np.swapaxes(v, 1, 2))))
    else:
        v = a
        entries.append((name, a.dtype == np.uint8 and 'U8' or 'BF16', a.shape))
        arrays.append((name, a if a.dtype == np.uint8 else g.f32_to_bf16_bits(a)))
    v = np.ascontiguousarray(v, dtype=np.float32)
    index[name] = [off, v.size]
    chunks.append(v.ravel())
    off += v.size
np.concatenate(chunks).tofile(d / 'oracle.f32')
(d / 'oracle.json').write_text(json.dumps(index))
(d / 'transposed').mkdir()
w = g.SafetensorsWriter(d / 'transposed' / 'model.safetensors', entries, {'format': 'pt'})
for name, a in arrays:
    w.write(name, a)
w.close()
`;

// Canonical tensor → the HF tensor (the oracle's key) it comes from.
const ORACLE_TOP: Record<string, string> = { embed: 'model.embed_tokens.weight', final_norm: 'model.norm.weight', unembed: 'lm_head.weight' };
const ORACLE_LAYER: Record<string, string> = {
  attn_norm: 'input_layernorm.weight', attn_q: 'self_attn.q_proj.weight', attn_q_bias: 'self_attn.q_proj.bias',
  attn_k: 'self_attn.k_proj.weight', attn_k_bias: 'self_attn.k_proj.bias', attn_v: 'self_attn.v_proj.weight',
  attn_v_bias: 'self_attn.v_proj.bias', attn_o: 'self_attn.o_proj.weight', attn_o_bias: 'self_attn.o_proj.bias',
  attn_sinks: 'self_attn.sinks', mlp_norm: 'post_attention_layernorm.weight', router: 'mlp.router.weight',
  router_bias: 'mlp.router.bias', experts_gate_up: 'mlp.experts.gate_up_proj', experts_gate_up_bias: 'mlp.experts.gate_up_proj_bias',
  experts_down: 'mlp.experts.down_proj', experts_down_bias: 'mlp.experts.down_proj_bias',
};

const run = requires(PYTHON_NUMPY, 'generated checkpoint (../shared/tools/gen_gpt_oss.py)');

describe.skipIf(!run)('generated checkpoint (python3 + numpy)', () => {
  // Bun runs a describe body even when the describe is skipped: all the work is in beforeAll.
  const sets = { hidden_size: 64, num_hidden_layers: 3, num_attention_heads: 6, num_key_value_heads: 3, head_dim: 16,
    num_local_experts: 5, num_experts_per_tok: 2, intermediate_size: 32, vocab_size: 300, sliding_window: 4 };
  const python = (args: string[]) => {
    const r = spawnSync('python3', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`python3 ${args[0]} failed: ${r.stderr}`);
  };
  let tmp: ReturnType<typeof tempDir>, dir: string, oracle: Float32Array, index: Record<string, [number, number]>, hf: Checkpoint;
  beforeAll(() => {
    tmp = tempDir('synthetic');
    dir = join(tmp.dir, 'hf');
    python([join(TOOLS, 'gen_gpt_oss.py'), '--preset', 'tiny-a', '--seed', '7', '--no-gguf', '--out', dir,
      ...Object.entries(sets).flatMap(([k, v]) => ['--set', `${k}=${v}`])]);
    python(['-c', ORACLE, TOOLS, dir]);
    copyFileSync(join(dir, 'config.json'), join(dir, 'transposed', 'config.json'));
    oracle = new Float32Array(readFileSync(join(dir, 'oracle.f32')).buffer.slice(0));
    index = JSON.parse(readFileSync(join(dir, 'oracle.json'), 'utf8'));
    hf = loadCheckpoint(dir);
  });
  afterAll(() => { hf?.close(); tmp?.cleanup(); });

  test('config from the generated config.json', () => {
    const c = hf.config;
    expect([c.hiddenSize, c.numLayers, c.numHeads, c.numKvHeads, c.headDim, c.numExperts, c.expertsPerToken, c.intermediateSize, c.vocabSize, c.slidingWindow])
      .toEqual([64, 3, 6, 3, 16, 5, 2, 32, 300, 4]);
    expect(c.layerTypes).toEqual(['sliding_attention', 'full_attention', 'sliding_attention']);
  });

  /** Every canonical tensor of `c` equals the oracle's values of the HF tensor it comes from. */
  function expectOracle(c: Checkpoint): void {
    for (const [n, r] of c.tensors) {
      const m = /^layers\.(\d+)\.(.+)$/.exec(n);
      const src = m ? `model.layers.${m[1]}.${ORACLE_LAYER[m[2]]}` : ORACLE_TOP[n];
      const [off, len] = index[src];
      const v = dequantAll(r);
      expect([n, v.length]).toEqual([n, len]);
      for (let i = 0; i < len; i++) if (v[i] !== oracle[off + i]) throw new Error(`${n}[${i}]: ${v[i]} vs oracle ${oracle[off + i]}`);
    }
  }

  test('MXFP4 and dense values equal the generator\'s own dequantization', () => expectOracle(hf));

  test('transformers-layout bf16 experts [E, in, out] are transposed on fill', () => {
    const t = loadCheckpoint(join(dir, 'transposed'));
    expect(t.tensors.get('layers.0.experts_gate_up')!.origin).toMatch(/transposed/);
    expect(t.tensors.get('layers.0.experts_down')!.format).toBe('bf16');
    expectOracle(t);
    t.close();
  });

  test("OpenAI original/ layout (fused qkv, spec §2.4) reads the same", () => {
    const o = join(dir, 'original');
    mkdirSync(o);
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(join(o, 'config.json'), JSON.stringify({
      num_hidden_layers: 3, num_experts: 5, experts_per_token: 2, vocab_size: 300, hidden_size: 64, intermediate_size: 32,
      swiglu_limit: 7.0, head_dim: 16, num_attention_heads: 6, num_key_value_heads: 3, sliding_window: 4,
      initial_context_length: 4096, rope_theta: 150000, rope_scaling_factor: 32.0, rope_ntk_alpha: 1, rope_ntk_beta: 32,
      eos_token_id: cfg.eos_token_id, pad_token_id: cfg.pad_token_id,
    }));
    const hfT = new Map(readSt(join(dir, 'model.safetensors')).map((t) => [t.name, t]));
    const rename: [RegExp, string][] = [
      [/^model\.embed_tokens\.weight$/, 'embedding.weight'], [/^model\.norm\.weight$/, 'norm.scale'], [/^lm_head\.weight$/, 'unembedding.weight'],
      [/^model\.layers\.(\d+)\.input_layernorm\.weight$/, 'block.$1.attn.norm.scale'], [/^model\.layers\.(\d+)\.self_attn\.sinks$/, 'block.$1.attn.sinks'],
      [/^model\.layers\.(\d+)\.self_attn\.o_proj\.(weight|bias)$/, 'block.$1.attn.out.$2'],
      [/^model\.layers\.(\d+)\.post_attention_layernorm\.weight$/, 'block.$1.mlp.norm.scale'],
      [/^model\.layers\.(\d+)\.mlp\.router\.(weight|bias)$/, 'block.$1.mlp.gate.$2'],
      [/^model\.layers\.(\d+)\.mlp\.experts\.gate_up_proj_(blocks|scales)$/, 'block.$1.mlp.mlp1_weight.$2'],
      [/^model\.layers\.(\d+)\.mlp\.experts\.gate_up_proj_bias$/, 'block.$1.mlp.mlp1_bias'],
      [/^model\.layers\.(\d+)\.mlp\.experts\.down_proj_(blocks|scales)$/, 'block.$1.mlp.mlp2_weight.$2'],
      [/^model\.layers\.(\d+)\.mlp\.experts\.down_proj_bias$/, 'block.$1.mlp.mlp2_bias'],
    ];
    const out = [];
    for (const t of hfT.values()) {
      const r = rename.find(([re]) => re.test(t.name));
      if (r) out.push({ ...t, name: t.name.replace(r[0], r[1]) });
    }
    for (let n = 0; n < 3; n++) {
      for (const kind of ['weight', 'bias']) {
        const parts = ['q', 'k', 'v'].map((p) => hfT.get(`model.layers.${n}.self_attn.${p}_proj.${kind}`)!);
        const data = new Uint8Array(parts.reduce((s, p) => s + p.data.length, 0));
        let at = 0;
        for (const p of parts) (data.set(p.data, at), (at += p.data.length));
        const rows = parts.reduce((s, p) => s + p.shape[0], 0);
        out.push({ name: `block.${n}.attn.qkv.${kind}`, dtype: 'BF16', shape: kind === 'weight' ? [rows, 64] : [rows], data });
      }
    }
    writeSt(join(o, 'model.safetensors'), out.reverse());
    const c = loadCheckpoint(o);
    expect(c.tensors.get('layers.1.attn_k')!.origin).toMatch(/block\.1\.attn\.qkv\.weight rows \[96, 144\)/);
    expect(c.config).toEqual(hf.config);
    for (const [n, r] of hf.tensors) {
      if (Buffer.compare(fillAll(r), fillAll(c.tensors.get(n)!)) !== 0) throw new Error(`${n} differs`);
    }
    c.close();
  });

  test('our GGUF of it (q8_0 dense) reads back: MXFP4 bytes identical, Q8_0 blocks = a reference quantiser of the oracle values', () => {
    const p = join(tmp.dir, 'gen.gguf');
    writeGguf(p, hf, { dense: 'q8_0' });
    const g = loadCheckpoint(p);
    expect(g.config).toEqual(hf.config);
    const seen = { mxfp4: 0, q8_0: 0, f32: 0 };
    for (const [n, r] of hf.tensors) {
      const back = g.tensors.get(n)!;
      seen[back.format as keyof typeof seen]++;
      if (back.format === 'mxfp4') {
        if (Buffer.compare(fillAll(r), fillAll(back)) !== 0) throw new Error(`${n}: MXFP4 bytes differ`);
        continue;
      }
      const m = /^layers\.(\d+)\.(.+)$/.exec(n);
      const [off, len] = index[m ? `model.layers.${m[1]}.${ORACLE_LAYER[m[2]]}` : ORACLE_TOP[n]];
      const want = oracle.subarray(off, off + len);
      if (back.format === 'q8_0') {
        const ref = q8Reference(want), got = fillAll(back);
        const at = got.findIndex((b, i) => b !== ref[i]);
        if (got.length !== ref.length || at >= 0) throw new Error(`${n}: Q8_0 byte ${at} is ${got[at]}, the reference quantiser gives ${ref[at]}`);
      } else {
        expect([n, back.format]).toEqual([n, 'f32']);
        const v = dequantAll(back);
        for (let i = 0; i < len; i++) if (v[i] !== want[i]) throw new Error(`${n}[${i}]: ${v[i]} vs oracle ${want[i]}`);
      }
    }
    // 3 layers: experts gate_up + down in MXFP4; q, k, v, o per layer, embed and unembed in Q8_0
    // (the writer's recipe, spec §7.4); norms, biases, sinks and the router in f32.
    expect(seen).toEqual({ mxfp4: 3 * 2, q8_0: 3 * 4 + 2, f32: hf.tensors.size - 3 * 2 - (3 * 4 + 2) });
    g.close();
  });
});
