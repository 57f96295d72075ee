// The kernel module: one compiled module, instantiated once per weight arena (shared memory).
export * from './dense';
export * from './q8_0_r4';
export * from './mxfp4';
export * from './quant';
export * from './norm';
export * from './rope';
export * from './attention';
export * from './moe';
export { round_f16, f16_bits, read_lines, Q8_BLOCK } from './common';
