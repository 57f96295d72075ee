// The WGSL kernels as one table (style-anchors §5b.4, §5c.2/4): per kernel its files, the
// parameter block (one list of field names is the single source of both the WGSL struct
// and the host-side writer), its bindings and its compile-time constants. Names follow
// <op>_<weight>_<act>_<tile>: matmul_mxfp4_f32_r4t8, attention_f16kv_hd64, …
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Format } from '../../model/formats.ts';

/** How a kernel sees one binding (binding 0 is always the parameter block). */
export type Access = 'read' | 'rw';
export interface BindingSpec { name: string; access: Access; type: string }

export interface KernelSpec {
  name: string;
  /** wgsl/ files, concatenated after the generated header. */
  files: string[];
  /** Uniform fields in order: `name` is a u32, `name:f32` an f32. */
  params: readonly string[];
  bindings: BindingSpec[];
  /** `const NAME = value;` lines (validated integers or WGSL snippets). */
  consts: Record<string, number>;
  /** Extra WGSL placed after the header (e.g. the K/V element accessors). */
  prelude?: string;
  enables?: string[];
  /** Invocations per workgroup (also the WGSL constant WG). */
  wg: number;
}

/** Bytes reserved per parameter block in the ring (minUniformBufferOffsetAlignment ≤ 256). */
export const PARAM_SLOT = 256;

// ---- parameter blocks ---------------------------------------------------------------------------

const WEIGHT = ['rows', 'cols', 'nb', 'qv', 'sOff', 'sw'] as const;
export const MATMUL_PARAMS = [...WEIGHT, 'nTok', 'xOff', 'xStride', 'yOff', 'yStride', 'bias', 'biasOff',
  'e0', 'K', 'maxB', 'cOff', 'lOff'] as const;
export const EMBED_PARAMS = [...WEIGHT, 'row0', 'idsOff', 'yOff', 'yStride'] as const;
export const RMSNORM_PARAMS = ['n', 'xOff', 'yOff', 'wOff', 'eps:f32'] as const;
export const ROPE_PARAMS = ['B', 'nh', 'hd', 'xOff', 'xStride', 'csOff'] as const;
export const ADD_PARAMS = ['n', 'xOff', 'yOff'] as const;
export const ARGMAX_PARAMS = ['n', 'xOff', 'xStride', 'yOff'] as const;
export const KV_STORE_PARAMS = ['B', 'kvw', 'pos0', 'cap', 'kOff', 'kStride', 'vOff', 'vStride'] as const;
export const ATTENTION_PARAMS = ['nq', 'nkv', 'kvw', 'pos0', 'cap', 'window', 'qOff', 'qStride', 'oOff', 'oStride',
  'sinkOff', 'scale:f32'] as const;
export const ROUTE_PARAMS = ['B', 'E', 'xOff', 'maxB', 'selOff', 'cOff', 'lOff', 'idsOff', 'wtsOff'] as const;
export const SWIGLU_PARAMS = ['n', 'I', 'xOff', 'xStride', 'yOff', 'yStride', 'alpha:f32', 'limit:f32'] as const;
export const COMBINE_PARAMS = ['B', 'H', 'wOff', 'oeOff', 'oeStride', 'yOff', 'yStride'] as const;
export const REPACK_PARAMS = ['rows', 'rb', 'qw', 'sw', 'nb', 'dstRow', 'partRows'] as const;

export type ParamValues<P extends readonly string[]> = { [K in P[number] as K extends `${infer N}:f32` ? N : K]: number };

// ---- bindings -----------------------------------------------------------------------------------

const W: BindingSpec = { name: 'w', access: 'read', type: 'array<vec4<u32>>' };
const ACT: BindingSpec = { name: 'act', access: 'rw', type: 'array<f32>' };
const VEC: BindingSpec = { name: 'vec', access: 'read', type: 'array<f32>' };
const DATA: BindingSpec = { name: 'data', access: 'read', type: 'array<u32>' };
const ROUTE_R: BindingSpec = { name: 'route', access: 'read', type: 'array<u32>' };
const ROUTE_RW: BindingSpec = { name: 'route', access: 'rw', type: 'array<u32>' };
const RAW: BindingSpec = { name: 'raw', access: 'read', type: 'array<u32>' };
const W_OUT: BindingSpec = { name: 'w', access: 'rw', type: 'array<u32>' };

// ---- the kernels --------------------------------------------------------------------------------

/** Where a product's input rows come from: tokens 0…n, or (experts) each routed slot's token or slot row. */
export type MatmulMode = 'plain' | 'expert_token' | 'expert_slot';
const MODES: Record<MatmulMode, number> = { plain: 0, expert_token: 1, expert_slot: 2 };

/** Token tile of the batched matmul (decode uses 1). */
export const MATMUL_TOKENS = 8;

/**
 * Lanes per weight row (power of two ≤ 64): a GPU wants several lanes reading one row's blocks
 * side by side; a software rasteriser (lavapipe) is fastest with one lane and no barriers.
 */
export type Lanes = 1 | 2 | 4 | 8 | 16 | 32 | 64;

/** `ragged`: rows whose length is not a multiple of 32 (dense formats only; gpt-oss has none). */
export function matmulSpec(format: Format, mode: MatmulMode, tokens: number, lanes: Lanes, ragged = false): KernelSpec {
  return {
    name: `${mode === 'plain' ? 'matmul' : `moe_${mode}`}_${format}_f32_l${lanes}t${tokens}${ragged ? '_ragged' : ''}`,
    files: ['weights.wgsl', `format_${format}.wgsl`, 'matmul.wgsl'],
    params: MATMUL_PARAMS, bindings: [W, ACT, VEC, ROUTE_R],
    consts: { MODE: MODES[mode], RT: 1, T: tokens, TPR: lanes, RAGGED: ragged ? 1 : 0 }, wg: 64,
  };
}

/** Output rows one workgroup of matmulSpec computes. */
export function matmulRowsPerGroup(spec: KernelSpec): number {
  return (spec.wg / spec.consts.TPR) * spec.consts.RT;
}

export function embedSpec(format: Format): KernelSpec {
  return { name: `embed_${format}_f32`, files: ['weights.wgsl', `format_${format}.wgsl`, 'embed.wgsl'], params: EMBED_PARAMS, bindings: [W, ACT, DATA], consts: {}, wg: 64 };
}

export function rmsnormSpec(): KernelSpec {
  return { name: 'rmsnorm_f32', files: ['rmsnorm.wgsl'], params: RMSNORM_PARAMS, bindings: [ACT, VEC], consts: {}, wg: 128 };
}

export function ropeSpec(): KernelSpec {
  return { name: 'rope_neox_f32', files: ['rope.wgsl'], params: ROPE_PARAMS, bindings: [ACT, DATA], consts: {}, wg: 64 };
}

export function argmaxSpec(): KernelSpec {
  return { name: 'argmax_f32', files: ['argmax.wgsl'], params: ARGMAX_PARAMS, bindings: [ACT], consts: {}, wg: 256 };
}

export function addSpec(): KernelSpec {
  return { name: 'add_f32', files: ['add.wgsl'], params: ADD_PARAMS, bindings: [ACT], consts: {}, wg: 64 };
}

/**
 * K/V cache element type: f32 (exact), f16 through shader-f16, or f16 packed two per u32 with
 * pack2x16float/unpack2x16float (core WGSL: the plain path when the adapter lacks shader-f16).
 */
export type KvType = 'f32' | 'f16' | 'f16packed';

function kvAccess(kv: KvType, access: Access): { bindings: BindingSpec[]; prelude: string; enables: string[] } {
  const type = kv === 'f32' ? 'array<f32>' : kv === 'f16' ? 'array<f16>' : 'array<u32>';
  const bindings = [{ name: 'kc', access, type }, { name: 'vc', access, type }];
  const lines: string[] = [];
  for (const c of ['k', 'v']) {
    if (kv === 'f32') {
      lines.push(`fn ${c}_get(i: u32) -> f32 { return ${c}c[i]; }`);
      if (access === 'rw') lines.push(`fn ${c}_put2(i: u32, a: f32, b: f32) { ${c}c[i] = a; ${c}c[i + 1u] = b; }`);
    } else if (kv === 'f16') {
      lines.push(`fn ${c}_get(i: u32) -> f32 { return f32(${c}c[i]); }`);
      if (access === 'rw') lines.push(`fn ${c}_put2(i: u32, a: f32, b: f32) { ${c}c[i] = f16(a); ${c}c[i + 1u] = f16(b); }`);
    } else {
      lines.push(`fn ${c}_get(i: u32) -> f32 { return unpack2x16float(${c}c[i >> 1u])[i & 1u]; }`);
      if (access === 'rw') lines.push(`fn ${c}_put2(i: u32, a: f32, b: f32) { ${c}c[i >> 1u] = pack2x16float(vec2<f32>(a, b)); }`);
    }
  }
  return { bindings, prelude: lines.join('\n'), enables: kv === 'f16' ? ['f16'] : [] };
}

export function kvStoreSpec(kv: KvType): KernelSpec {
  const a = kvAccess(kv, 'rw');
  return { name: `kv_store_${kv}`, files: ['kv_store.wgsl'], params: KV_STORE_PARAMS, bindings: [ACT, ...a.bindings], prelude: a.prelude, enables: a.enables, consts: {}, wg: 64 };
}

export function attentionSpec(kv: KvType, headDim: number): KernelSpec {
  const a = kvAccess(kv, 'read');
  return {
    name: `attention_${kv}kv_hd${headDim}`, files: ['attention.wgsl'], params: ATTENTION_PARAMS,
    bindings: [ACT, VEC, ...a.bindings], prelude: a.prelude, enables: a.enables, consts: { HD: headDim }, wg: 64,
  };
}

export function routeSpec(K: number): KernelSpec {
  return { name: `moe_route_top${K}`, files: ['moe_route.wgsl'], params: ROUTE_PARAMS, bindings: [ACT, ROUTE_RW], consts: { K }, wg: 64 };
}

export function swigluSpec(): KernelSpec {
  return { name: 'swiglu_oai_f32', files: ['swiglu.wgsl'], params: SWIGLU_PARAMS, bindings: [ACT], consts: {}, wg: 64 };
}

export function combineSpec(K: number): KernelSpec {
  return { name: `moe_combine_top${K}`, files: ['moe_combine.wgsl'], params: COMBINE_PARAMS, bindings: [ACT], consts: { K }, wg: 64 };
}

/** Canonical bytes → layout.ts words (load time): one kernel per block family, FMT as in repack.wgsl. */
export function repackSpec(format: Format): KernelSpec {
  const FMT = format === 'q8_0' ? 1 : format === 'mxfp4' ? 2 : 0;
  return { name: `repack_${['dense', 'q8_0', 'mxfp4'][FMT]}`, files: ['repack.wgsl'], params: REPACK_PARAMS, bindings: [RAW, W_OUT], consts: { FMT }, wg: 64 };
}

// ---- WGSL assembly ------------------------------------------------------------------------------

const files = new Map<string, string>();
function wgslFile(name: string): string {
  let s = files.get(name);
  if (s === undefined) {
    s = readFileSync(fileURLToPath(new URL(`./wgsl/${name}`, import.meta.url)), 'utf8');
    files.set(name, s);
  }
  return s;
}

/** Field index and type of each parameter (the host writes word `index` of the block). */
export function paramIndex(params: readonly string[]): Map<string, { index: number; f32: boolean }> {
  return new Map(params.map((f, index) => {
    const [name, type] = f.split(':');
    return [name, { index, f32: type === 'f32' }];
  }));
}

/** The full WGSL source of a kernel: enables, constants, parameter struct, bindings, files. */
export function kernelSource(k: KernelSpec): string {
  if (!Number.isInteger(k.wg) || k.wg < 1 || (k.wg & (k.wg - 1)) !== 0) throw new Error(`${k.name}: workgroup size ${k.wg} must be a power of two`);
  if (k.params.length * 4 > PARAM_SLOT) throw new Error(`${k.name}: ${k.params.length} parameters exceed a ${PARAM_SLOT}-byte block`);
  const out: string[] = [];
  for (const e of k.enables ?? []) out.push(`enable ${e};`);
  out.push(`// ${k.name} (generated header: src/backends/webgpu/kernels.ts)`);
  out.push(`const WG: u32 = ${k.wg}u;`);
  for (const [name, v] of Object.entries(k.consts)) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`${k.name}: constant ${name} = ${v} must be a non-negative integer`);
    out.push(`const ${name}: u32 = ${v}u;`);
  }
  out.push('struct Params {');
  for (const [name, { f32 }] of paramIndex(k.params)) out.push(`  ${name}: ${f32 ? 'f32' : 'u32'},`);
  out.push('}');
  out.push('@group(0) @binding(0) var<storage, read> p: Params;');
  k.bindings.forEach((b, i) => out.push(`@group(0) @binding(${i + 1}) var<storage, ${b.access === 'rw' ? 'read_write' : 'read'}> ${b.name}: ${b.type};`));
  if (k.prelude) out.push(k.prelude);
  for (const f of k.files) out.push(wgslFile(f));
  return out.join('\n');
}
