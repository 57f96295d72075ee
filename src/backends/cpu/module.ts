// The compiled kernel module (assembly/ → wasm/kernels.wasm). Compiled once per process and
// instantiated once per arena memory. Refuses a stale build: the stamp must match the sources.
import { existsSync, readFileSync } from 'node:fs';
import { STAMP_PATH, WASM_PATH, sourceHash } from './wasm-stamp.mjs';

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
  kv_store_f16(src: number, ring: number, n: number, pos0: number, cap: number, B: number): void;
  f16_bits(x: number): number;
  swiglu_oai(u: number, a: number, I: number, B: number, alpha: number, limit: number): void;
  add_bias(y: number, bias: number, n: number, B: number): void;
  axpy(y: number, x: number, s: number, n: number): void;
  round_f16(x: number): number;
  repack_mxfp4_r4(w: number, rows: number, nIn: number, scratch: number): void;
  read_lines(p: number, unused: number, l0: number, l1: number): number;
}

let compiled: WebAssembly.Module | null = null;

export function kernelModule(): WebAssembly.Module {
  if (compiled) return compiled;
  if (!existsSync(WASM_PATH)) throw new Error(`${WASM_PATH} is missing: run \`npm run build:wasm\``);
  const stamp = existsSync(STAMP_PATH) ? JSON.parse(readFileSync(STAMP_PATH, 'utf8')) : {};
  if (stamp.sourceHash !== sourceHash()) throw new Error(`${WASM_PATH} is stale (assembly/ changed): run \`npm run build:wasm\``);
  compiled = new WebAssembly.Module(readFileSync(WASM_PATH));
  return compiled;
}

export function instantiate(memory: WebAssembly.Memory, module = kernelModule()): Kernels {
  return new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Kernels;
}
