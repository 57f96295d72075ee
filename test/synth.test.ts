// Synthetic checkpoints (src/synth/) and their writers: determinism, both formats read
// back by the loaders with the same canonical values, full-size layouts sized without writing,
// the o200k tokenizer keys, and the built-in demo model running a forward pass.
import { afterAll, describe, expect, test } from 'bun:test';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { run as synthCli } from '../src/cli/synth.ts';
import { createCpuBackend } from '../src/backends/cpu/cpu-backend.ts';
import { Engine } from '../src/engine/engine.ts';
import { FORMATS } from '../src/model/formats.ts';
import { planGguf, writeGguf, type GgufDenseType } from '../src/synth/gguf-write.ts';
import { loadCheckpoint } from '../src/model/checkpoint.ts';
import { planHf, writeHf } from '../src/synth/safetensors-write.ts';
import { synthCheckpoint } from '../src/synth/generator.ts';
import { demoCheckpoint } from '../src/synth/demo.ts';
import { configOfJson, presetConfigJson } from '../src/synth/presets.ts';
import { ggufTokenizerMetadata } from '../src/synth/tokenizer-metadata.ts';
import type { Checkpoint } from '../src/model/types.ts';
import { bytesToByteLevel } from '../src/tokenizer/byte-level.ts';
import { o200kHarmony, tokenizerFor, tokenizerForCheckpoint } from '../src/tokenizer/index.ts';
import { fillAll, readSt, tempDir } from './helpers/model-files.ts';

const tmp = tempDir('synth');
afterAll(() => tmp.cleanup());

const preset = (name: string, sets: Record<string, unknown> = {}) => configOfJson(presetConfigJson(name, sets));
const tiny = (seed: number) => synthCheckpoint(preset('tiny'), { seed });

function values(r: { byteSize: number; shape: number[]; format: keyof typeof FORMATS; fill(d: Uint8Array): void }, bytes = fillAll(r as never)) {
  const n = r.shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  FORMATS[r.format].dequant(bytes, v, n);
  return v;
}

/** `b` holds exactly `a`'s weights: same config, MXFP4 bytes identical, every dense value equal. */
function expectSameWeights(a: Checkpoint, b: Checkpoint): void {
  expect(b.config).toEqual(a.config);
  expect([...b.tensors.keys()].sort()).toEqual([...a.tensors.keys()].sort());
  for (const [n, ra] of a.tensors) {
    const rb = b.tensors.get(n)!;
    const ba = fillAll(ra), bb = fillAll(rb);
    if (ra.format === 'mxfp4') {
      expect([n, rb.format]).toEqual([n, 'mxfp4']);
      if (Buffer.compare(ba, bb) !== 0) throw new Error(`${n}: MXFP4 bytes differ`);
      continue;
    }
    const va = values(ra, ba), vb = values(rb, bb);
    for (let i = 0; i < va.length; i++) if (va[i] !== vb[i]) throw new Error(`${n}[${i}]: ${va[i]} vs ${vb[i]} (${rb.format})`);
  }
}

describe('determinism', () => {
  test('same seed → same bytes; another seed → other bytes', () => {
    const a = tiny(5), b = tiny(5), c = tiny(6);
    for (const [n, r] of a.tensors) {
      expect(Buffer.compare(fillAll(r), fillAll(b.tensors.get(n)!))).toBe(0);
      expect(Buffer.compare(fillAll(r), fillAll(c.tensors.get(n)!))).not.toBe(0);
    }
  });

  test('any row range equals the same rows of the whole tensor (random access)', () => {
    const r = synthCheckpoint(preset('tiny'), { seed: 9 }).tensors.get('layers.1.experts_gate_up')!;
    const all = fillAll(r);
    const rb = r.byteSize / (r.shape[0] * r.shape[1]);
    for (const [r0, r1] of [[0, 1], [3, 130], [255, 256], [100, 100]]) {
      const part = new Uint8Array((r1 - r0) * rb);
      r.fillRows!(part, r0, r1);
      expect(Buffer.compare(part, all.subarray(r0 * rb, r1 * rb))).toBe(0);
    }
  });

  test('written files are byte-identical for one seed (GGUF and HF)', () => {
    for (const k of [0, 1]) {
      writeGguf(join(tmp.dir, `det${k}.gguf`), tiny(11), { dense: 'q8_0' });
      writeHf(join(tmp.dir, `det${k}`), tiny(11), { shardBytes: 100_000 });
    }
    expect(Buffer.compare(readFileSync(join(tmp.dir, 'det0.gguf')), readFileSync(join(tmp.dir, 'det1.gguf')))).toBe(0);
    const files = readdirSync(join(tmp.dir, 'det0')).sort();
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) expect([f, Buffer.compare(readFileSync(join(tmp.dir, 'det0', f)), readFileSync(join(tmp.dir, 'det1', f)))]).toEqual([f, 0]);
  });
});

describe('values on the grids the formats share', () => {
  test('2-D dense blocks are q·2^k with max |q| = 127; experts use realistic E8M0 scales', () => {
    const ck = synthCheckpoint(preset('small', { num_hidden_layers: 1, vocab_size: 32, eos_token_id: 1, pad_token_id: 0 }), { seed: 1 });
    const v = values(ck.tensors.get('layers.0.attn_q')!);
    let off = 0;
    for (let b = 0; b < v.length; b += 32) {
      let amax = 0;
      for (let i = b; i < b + 32; i++) amax = Math.max(amax, Math.abs(v[i]));
      const d = amax / 127;
      if (!Number.isInteger(Math.log2(d))) off++; // d must be a power of two
      for (let i = b; i < b + 32; i++) if (!Number.isInteger(v[i] / d)) off++;
    }
    expect(off).toBe(0);
    // spec §3.2: 127 + round(log2(1.2 / (2.93·√2880))) = 120 for gate_up, ±1, +1 on every 4th expert
    const gu = fillAll(ck.tensors.get('layers.0.experts_gate_up')!);
    const perExpert = gu.length / 4;
    const seen = [new Set<number>(), new Set<number>()];
    for (let o = 0; o < gu.length; o += 17) seen[Math.floor(o / perExpert) === 3 ? 1 : 0].add(gu[o]);
    expect([...seen[0]].sort()).toEqual([119, 120, 121]);
    expect([...seen[1]].sort()).toEqual([120, 121, 122]);
  });
});

describe('both formats load and agree', () => {
  const src = tiny(3);
  const hfDir = join(tmp.dir, 'hf');
  const sharded = join(tmp.dir, 'hf-sharded');
  writeHf(hfDir, src);
  writeHf(sharded, src, { shardBytes: 150_000 });

  test('HF folder: single file, config.json schema, reads back to the same weights', () => {
    expect(readdirSync(hfDir).sort()).toEqual(['config.json', 'model.safetensors']);
    const cfg = JSON.parse(readFileSync(join(hfDir, 'config.json'), 'utf8'));
    expect(cfg.rope_scaling).toEqual({ beta_fast: 32, beta_slow: 1, factor: 32, original_max_position_embeddings: 4096, rope_type: 'yarn', truncate: false });
    expect(cfg.layer_types).toEqual(['sliding_attention', 'full_attention']);
    expect(cfg.quantization_config.quant_method).toBe('mxfp4');
    const t = readSt(join(hfDir, 'model.safetensors'));
    const names = t.map((x) => x.name);
    expect(names).toEqual([...names].sort()); // lexicographic, as on the hub
    expect(t.find((x) => x.name === 'model.layers.0.mlp.experts.gate_up_proj_blocks')).toMatchObject({ dtype: 'U8', shape: [4, 128, 2, 16] });
    expect(t.find((x) => x.name === 'model.layers.0.mlp.experts.gate_up_proj_scales')).toMatchObject({ dtype: 'U8', shape: [4, 128, 2] });
    expect(t.find((x) => x.name === 'lm_head.weight')).toMatchObject({ dtype: 'BF16', shape: [512, 64] });
    const back = loadCheckpoint(hfDir);
    expectSameWeights(src, back);
    back.close();
  });

  test('HF shards: 0-based names, index with total_size and weight_map', () => {
    const files = readdirSync(sharded).filter((f) => f.endsWith('.safetensors')).sort();
    const n = files.length;
    expect(n).toBeGreaterThan(1);
    const last = String(n - 1).padStart(5, '0');
    expect(files).toEqual(files.map((_, i) => `model-${String(i).padStart(5, '0')}-of-${last}.safetensors`));
    const idx = JSON.parse(readFileSync(join(sharded, 'model.safetensors.index.json'), 'utf8'));
    expect(idx.metadata.total_size).toBe(planHf(src).totalSize);
    expect(Object.keys(idx.weight_map).length).toBe(2 * 19 + 3);
    const back = loadCheckpoint(sharded);
    expectSameWeights(src, back);
    back.close();
  });

  test.each(['q8_0', 'bf16', 'f16', 'f32'] as GgufDenseType[])('GGUF dense %s reads back to the same values as the HF folder', (dense) => {
    const p = join(tmp.dir, `tiny-${dense}.gguf`);
    writeGguf(p, src, { dense });
    const g = loadCheckpoint(p), h = loadCheckpoint(hfDir);
    expect(g.tensors.get('embed')!.format).toBe(dense);
    expectSameWeights(h, g);
    g.close();
    h.close();
  });
});

describe('full-size layouts, computed without writing', () => {
  const c20 = synthCheckpoint(preset('gpt-oss-20b'), { seed: 20 });

  test('20b HF: 13,761,264,768 tensor bytes in 459 entries, 3 shards (spec §2.1, §3.7)', () => {
    expect(c20.totalBytes).toBe(9_555_148_800 + 597_196_800 + 2 * 1_158_266_880 + 1_274_545_152 + 138_240 + 4_425_216 + 13_271_040 + 5_760);
    const p = planHf(c20);
    expect(p.totalSize).toBe(13_761_264_768);
    expect(p.tensors.length).toBe(459);
    expect(p.shards.map((s) => s.file)).toEqual(['model-00000-of-00002.safetensors', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(planHf(synthCheckpoint(preset('gpt-oss-120b'))).totalSize).toBe(65_248_815_744);
  });

  test('20b GGUF, ggml-org recipe (Q8_0 dense, bf16 router and expert biases): within 0.1% of the published ≈12,090,061,056 (spec §7.4)', async () => {
    const tok = o200kHarmony();
    const specials = new Map<number, string>();
    for (let id = 199998; id <= 200018; id++) specials.set(id, new TextDecoder().decode(tok.tokenBytes(id)));
    const meta = ggufTokenizerMetadata({
      rankBytes: (r) => tok.tokenBytes(r), nRanks: 199998, specials, spell: bytesToByteLevel, vocabSize: 201088, bos: 199998, eos: 200002, pad: 199999,
    });
    expect((meta['tokenizer.ggml.merges'] as string[]).length).toBe(446_189); // spec §5.5
    expect(tokenizerFor(meta, 201088).name).toBe('o200k_harmony'); // passes the agreement checks
    const p = planGguf(c20, { dense: 'q8_0', metadata: meta, typeOf: (n) => (/\.router$|_(gate_up|down)_bias$/.test(n) ? 'bf16' : undefined) });
    const by: Record<string, number> = {};
    for (const t of p.tensors) by[t.format] = (by[t.format] ?? 0) + t.byteSize;
    expect(by).toEqual({ mxfp4: 10_152_345_600, q8_0: 1_907_481_600, bf16: 17_694_720, f32: 1_341_696 });
    expect(p.tensors.length).toBe(459);
    expect(Math.abs(p.total / 12_090_061_056 - 1)).toBeLessThan(1e-3);
  }, 30_000);
});

describe('demo checkpoint', () => {
  test('real vocabulary layout, built-in tokenizer, labelled as random weights', () => {
    const d = demoCheckpoint();
    expect(d.path).toBe('demo');
    expect(d.config.vocabSize).toBe(201088);
    expect(d.config.eosTokenId).toBe(200002);
    expect(d.config.layerTypes).toEqual(['sliding_attention', 'full_attention']);
    expect(d.metadata['general.name']).toBe('oss-edge demo (random weights)');
    const tok = tokenizerForCheckpoint(d);
    expect(tok.name).toBe('o200k_harmony');
    expect(tok.special.return).toBe(200002);
  });

  test('Engine.fromCheckpoint runs a forward pass: finite logits over 201088 ids', async () => {
    // (How long the load takes is measured by bench/synth.ts, not asserted here.)
    const m = await Engine.fromCheckpoint(demoCheckpoint(), { precision: 'exact', threads: 1, context: 64 }, createCpuBackend);
    try {
      const logits = await m.newSession().eval([200006, 17360, 200008, 13225, 5922], 'last');
      expect(logits.length).toBe(201088);
      let finite = 0, min = Infinity, max = -Infinity;
      for (const x of logits) {
        if (Number.isFinite(x)) finite++;
        min = Math.min(min, x);
        max = Math.max(max, x);
      }
      expect(finite).toBe(201088);
      expect(max - min).toBeGreaterThan(1); // not a constant
    } finally {
      m.release();
    }
  });
});

describe('synth CLI', () => {
  test('writes a loadable GGUF and HF folder; --set overrides; bad flags are usage errors', async () => {
    const g = join(tmp.dir, 'cli.gguf'), h = join(tmp.dir, 'cli-hf');
    expect(await synthCli(['--preset', 'tiny', '--format', 'gguf', '--seed', '4', '--out', g, '--set', 'num_hidden_layers=4', '--quiet'])).toBe(0);
    expect(await synthCli(['--preset', 'tiny', '--format', 'hf', '--seed', '4', '--out', h, '--set=num_hidden_layers=4', '--quiet'])).toBe(0);
    const a = loadCheckpoint(g), b = loadCheckpoint(h);
    expect(a.config.numLayers).toBe(4);
    expectSameWeights(b, a);
    expectSameWeights(synthCheckpoint(b.config, { seed: 4 }), b);
    a.close();
    b.close();
    expect(await synthCli(['--preset', 'tiny', '--format', 'zip', '--out', g])).toBe(2);
    expect(await synthCli(['--preset', 'tiny', '--format', 'hf', '--dense', 'q8_0', '--out', h])).toBe(2);
    expect(await synthCli(['--preset', 'nope', '--format', 'hf', '--out', h])).toBe(1);
  });
});
