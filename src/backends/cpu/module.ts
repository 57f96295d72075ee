// The compiled kernel modules (assembly/ → wasm/*.wasm, one per build in wasm-stamp.mjs BUILDS).
// Each is compiled once per process and instantiated once per arena memory. Refuses a stale build:
// the stamp must match the sources.
import { existsSync, readFileSync } from 'node:fs';
import { BUILDS, sourceHash, stampPath, wasmPath } from './wasm-stamp.mjs';

export type Build = keyof typeof BUILDS;
type MatmulFn = (w: number, x: number, y: number, nIn: number, nOut: number, B: number, r0: number, r1: number) => void;

/** The exports of assembly/index.ts (pointers are byte offsets into the arena memory). */
export interface Kernels {
  [name: `matmul_${string}`]: MatmulFn;
  quantize_q8(x: number, xq: number, n: number, B: number): void;
  quantize_q8_ref(x: number, xq: number, n: number, B: number): void;
  rmsnorm(x: number, w: number, y: number, n: number, B: number, eps: number): void;
  rmsnorm_ref(x: number, w: number, y: number, n: number, B: number, eps: number): void;
  rope_neox(x: number, cs: number, nh: number, hd: number, B: number): void;
  rope_neox_ref(x: number, cs: number, nh: number, hd: number, B: number): void;
  attention(q: number, kc: number, vc: number, out: number, sinks: number, scr: number, nq: number, nkv: number,
    hd: number, pos0: number, cap: number, window: number, scale: number, w0: number, w1: number): void;
  attention_ref(q: number, kc: number, vc: number, out: number, sinks: number, scr: number, nq: number, nkv: number,
    hd: number, pos0: number, cap: number, window: number, scale: number, w0: number, w1: number): void;
  attention_f16kv(q: number, kc: number, vc: number, out: number, sinks: number, scr: number, nq: number, nkv: number,
    hd: number, pos0: number, cap: number, window: number, scale: number, w0: number, w1: number): void;
  attention_f16kv_ref(q: number, kc: number, vc: number, out: number, sinks: number, scr: number, nq: number, nkv: number,
    hd: number, pos0: number, cap: number, window: number, scale: number, w0: number, w1: number): void;
  kv_store_f32(src: number, ring: number, nkv: number, hd: number, pos0: number, cap: number, B: number): void;
  kv_store_f16(src: number, ring: number, nkv: number, hd: number, pos0: number, cap: number, B: number): void;
  f16_bits(x: number): number;
  swiglu_oai(u: number, a: number, I: number, B: number, alpha: number, limit: number): void;
  swiglu_oai_ref(u: number, a: number, I: number, B: number, alpha: number, limit: number): void;
  add_bias(y: number, bias: number, n: number, B: number): void;
  axpy(y: number, x: number, s: number, n: number): void;
  round_f16(x: number): number;
  repack_mxfp4_r8(w: number, rows: number, nIn: number, scratch: number): void;
  repack_q8_0_r4(w: number, rows: number, nIn: number, scratch: number): void;
  /** Relaxed build only (assembly/q8_0_r4s.ts), as the variants whose kernels read r4s. */
  repack_q8_0_r4s(w: number, rows: number, nIn: number, scratch: number): void;
  q8_0_has_min_code(w: number, rows: number, nIn: number): number;
  read_lines(p: number, unused: number, l0: number, l1: number): number;
  /** Keys per block of the attention kernels' value pass (assembly/attention.ts). */
  VBLOCK: WebAssembly.Global;
  /** Tokens per pass of the batched Q8_0 kernel (assembly/q8_0_r4.ts): its scratch holds their splatted pairs. */
  Q8_PASS: WebAssembly.Global;
  /** Bytes of q8 activations per 32 values (assembly/common.ts; kernels.ts Q8_BLOCK_BYTES must agree). */
  Q8_BLOCK: WebAssembly.Global;
}

const compiled = new Map<Build, WebAssembly.Module | null>();

/**
 * The module of one build; null when this runtime cannot compile it (a relaxed-SIMD build on a
 * runtime without relaxed SIMD). A missing or stale file is an error, never a silent fallback.
 */
export function buildModule(build: Build): WebAssembly.Module | null {
  if (compiled.has(build)) return compiled.get(build)!;
  const path = wasmPath(build), stamp = stampPath(build);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build:wasm\``);
  const s = existsSync(stamp) ? JSON.parse(readFileSync(stamp, 'utf8')) : {};
  if (s.sourceHash !== sourceHash(build)) throw new Error(`${path} is stale (assembly/ changed): run \`npm run build:wasm\``);
  let m: WebAssembly.Module | null = null;
  try { m = new WebAssembly.Module(readFileSync(path)); } catch { m = null; }
  compiled.set(build, m);
  return m;
}

export function instantiate(memory: WebAssembly.Memory, module: WebAssembly.Module): Kernels {
  return new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Kernels;
}
