// `synth --preset NAME --format gguf|hf --out PATH [--seed S] [--dense TYPE] [--set key=value]…`
// Writes a checkpoint of random weights in the exact real layout (spec §1–§3, §7), streamed to
// disk in bounded memory. Same seed → same bytes; the GGUF and the HF folder of one seed hold the
// same values (src/synth/generator.ts explains the grids that make that exact). The flags are
// described in TABLE (its --help).
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planGguf, writeGguf, type GgufDenseType, type GgufWriteOptions } from '../synth/gguf-write.ts';
import { planHf, writeHf, type HfDenseType } from '../synth/safetensors-write.ts';
import { synthCheckpoint } from '../synth/generator.ts';
import { PRESETS, configOfJson, parseSet, presetConfigJson } from '../synth/presets.ts';
import { ggufTokenizerMetadata } from '../synth/tokenizer-metadata.ts';
import type { Checkpoint } from '../model/types.ts';
import { bytesToByteLevel } from '../tokenizer/byte-level.ts';
import { O200K_HARMONY_VOCAB, O200K_RANKS, o200kHarmony } from '../tokenizer/index.ts';
import { int, parseArgs, str, UsageError } from './args.ts';
import { flagLines, HELP_LINE, type FlagDoc } from './help.ts';
import { formatBytes, formatDuration, progress } from './progress.ts';

const GGUF_DENSE = ['q8_0', 'bf16', 'f16', 'f32'];
const HF_DENSE = ['bf16', 'f16', 'f32'];
/** The functional specials the hub tokenizer lists (spec §5.4): 199998 … 200018. */
const LAST_HUB_SPECIAL = 200018;

const TABLE: FlagDoc[] = [
  { flag: 'preset', arg: 'NAME', help: `${Object.keys(PRESETS).join(' | ')} (--list describes them)` },
  { flag: 'format', arg: 'F', help: 'gguf (llama.cpp layout) | hf (config.json + safetensors shards + index)' },
  { flag: 'out', arg: 'PATH', help: 'the .gguf file or the HF folder to write' },
  { flag: 'seed', arg: 'S', help: 'random seed (default 0); same seed, same bytes' },
  { flag: 'dense', arg: 'TYPE', help: `dense matrices: gguf ${GGUF_DENSE.join('|')} (default q8_0, ggml-org's MXFP4_MOE recipe), hf ${HF_DENSE.join('|')} (default bf16)` },
  { flag: 'set', arg: 'k=v', help: 'override an HF config.json key (repeatable), e.g. --set num_hidden_layers=4' },
  { flag: 'shard-bytes', arg: 'N', help: 'HF shard size limit (default 5e9)' },
  { flag: 'no-tokenizer', help: "GGUF: leave out the tokenizer.ggml.* keys (real-vocab presets carry o200k's)" },
  { flag: 'dry-run', help: 'print the layout and sizes, write nothing' },
  { flag: 'quiet', help: 'no progress output' },
  { flag: 'list', help: 'the presets, one a line' },
];
export const FLAGS = TABLE.map((f) => f.flag);
export const USAGE = `usage: bun src/cli.ts synth --preset NAME --format gguf|hf --out PATH [flags]
Writes a checkpoint of random weights in the real gpt-oss layout, in bounded memory.
${flagLines([...TABLE, HELP_LINE])}`;

export async function run(argv: string[]): Promise<number> {
  try {
    // --set repeats, which the shared parser (one value per flag) cannot hold: take them first.
    const sets: Record<string, unknown> = {};
    const rest: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      if (argv[i] === '--set') {
        if (argv[i + 1] === undefined) throw new UsageError('--set needs key=value');
        const [k, v] = parseSet(argv[++i]);
        sets[k] = v;
      } else if (argv[i].startsWith('--set=')) {
        const [k, v] = parseSet(argv[i].slice(6));
        sets[k] = v;
      } else rest.push(argv[i]);
    }
    const a = parseArgs(rest);
    if (a.flags.has('help')) { console.log(`${USAGE}\npresets:\n${presetLines()}`); return 0; }
    if (a.flags.has('list')) { console.log(presetLines()); return 0; }
    for (const f of a.flags.keys()) if (!FLAGS.includes(f)) throw new UsageError(`unknown flag --${f}`);
    if (a.rest.length) throw new UsageError(`unexpected argument ${a.rest[0]}`);
    const presetName = str(a, 'preset');
    const format = str(a, 'format');
    if (format !== 'gguf' && format !== 'hf') throw new UsageError('--format must be gguf or hf');
    const dense = str(a, 'dense', format === 'gguf' ? 'q8_0' : 'bf16');
    if (!(format === 'gguf' ? GGUF_DENSE : HF_DENSE).includes(dense)) {
      throw new UsageError(`--dense for ${format} must be one of ${(format === 'gguf' ? GGUF_DENSE : HF_DENSE).join(', ')}`);
    }
    const seed = int(a, 'seed', 0);
    if (seed < 0) throw new UsageError('--seed must be ≥ 0');
    const out = str(a, 'out');
    const dry = a.flags.has('dry-run');

    const json = presetConfigJson(presetName, sets);
    const config = configOfJson(json, `preset ${presetName}`);
    const name = `${presetName} synthetic (random weights, seed ${seed})`;
    const ckpt = synthCheckpoint(config, { seed, path: out, metadata: { 'general.name': name } });
    const bar = dry ? null : progress(`synth ${format} ${out}`, a.flags.has('quiet') ? { stream: { write: () => true } } : {});
    const t0 = performance.now();
    let size: number;
    if (format === 'gguf') {
      const opts = ggufOptions(ckpt, dense as GgufDenseType, name, !a.flags.has('no-tokenizer'));
      if (dry) size = printGgufPlan(ckpt, opts);
      else size = writeGguf(out, ckpt, { ...opts, progress: (d, t) => bar!.update(d, t) });
    } else {
      const hfOpts = { configJson: json, dense: dense as HfDenseType, shardBytes: a.flags.has('shard-bytes') ? int(a, 'shard-bytes', 0) : undefined };
      if (dry) {
        const p = planHf(ckpt, hfOpts);
        for (const s of p.shards) console.log(`${s.file}  ${s.dataBytes} tensor bytes`);
        console.log(`total_size ${p.totalSize}  files ${p.fileBytes} bytes, ${p.tensors.length} entries`);
        size = p.fileBytes;
      } else {
        rmSync(join(out, 'model.safetensors.index.json'), { force: true }); // a stale index would name old shards
        const p = writeHf(out, ckpt, { ...hfOpts, progress: (d, t) => bar!.update(d, t) });
        if (config.vocabSize === O200K_HARMONY_VOCAB) writeGenerationConfig(out);
        size = p.fileBytes;
      }
    }
    const s = (performance.now() - t0) / 1000;
    if (bar) bar.finish(`${ckpt.tensors.size} canonical tensors, peak RSS ${formatBytes(process.resourceUsage().maxRSS * 1024)}`);
    else console.log(`${size} bytes (planned in ${formatDuration(s)})`);
    return 0;
  } catch (e) {
    console.error(`synth: ${(e as Error).message}`);
    if (e instanceof UsageError) console.error(USAGE);
    return e instanceof UsageError ? 2 : 1;
  }
}

/**
 * GGUF type recipe. q8_0 = llama.cpp's MXFP4_MOE recipe as in ggml-org's published file (spec
 * §7.4): the converter keeps 2-D tensors in the source type (bf16) and 1-D ones in f32, then
 * llama-quantize turns 2-D `.weight`s other than the router into Q8_0; so router weights stay
 * bf16. Expert biases are f32: llama.cpp's CPU add_id (the per-expert bias add) asserts an f32
 * operand and aborts on bf16 (measured with node-llama-cpp 3.21.1). Other --dense types apply
 * that type to every 2-D weight.
 */
function ggufOptions(ckpt: Checkpoint, dense: GgufDenseType, name: string, tokenizer: boolean): GgufWriteOptions {
  const small2d = dense === 'q8_0' ? 'bf16' : dense;
  return {
    dense,
    name,
    typeOf: (n) => (/\.router$/.test(n) ? small2d : undefined),
    metadata: tokenizer && ckpt.config.vocabSize === O200K_HARMONY_VOCAB ? o200kMetadata(ckpt) : undefined,
  };
}

/** o200k_harmony as tokenizer.ggml.* keys (spec §7.2), from the built-in tokenizer's ranks. */
function o200kMetadata(ckpt: Checkpoint): Record<string, unknown> {
  const tok = o200kHarmony();
  const specials = new Map<number, string>();
  for (let id = O200K_RANKS; id <= LAST_HUB_SPECIAL; id++) specials.set(id, new TextDecoder().decode(tok.tokenBytes(id)));
  const c = ckpt.config;
  return ggufTokenizerMetadata({
    rankBytes: (r) => tok.tokenBytes(r), nRanks: O200K_RANKS, specials, spell: bytesToByteLevel,
    vocabSize: c.vocabSize, bos: tok.special.startoftext, eos: c.eosTokenId ?? tok.special.return, pad: c.padTokenId ?? tok.special.endoftext,
  });
}

function printGgufPlan(ckpt: Checkpoint, opts: GgufWriteOptions): number {
  const p = planGguf(ckpt, opts);
  const byType = new Map<string, number>();
  for (const t of p.tensors) byType.set(t.format, (byType.get(t.format) ?? 0) + t.byteSize);
  for (const [f, n] of byType) console.log(`${f.padEnd(6)} ${n} bytes`);
  console.log(`header ${p.dataStart} bytes, ${p.tensors.length} tensors, file ${p.total} bytes`);
  return p.total;
}

/** generation_config.json of the hub (spec §1.2), for folders with the real vocabulary. */
function writeGenerationConfig(dir: string): void {
  const g = { bos_token_id: 199998, do_sample: true, eos_token_id: [200002, 199999, 200012], pad_token_id: 199999, transformers_version: '4.55.0.dev0' };
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify(g, null, 2) + '\n');
}

function presetLines(): string {
  return Object.entries(PRESETS).map(([name, p]) => `  ${name.padEnd(14)} ${p.about}`).join('\n');
}
