// The relaxed-SIMD kernel module: everything of the baseline module plus the kernels that need
// `--enable relaxed-simd` (a runtime without it cannot compile this module; it keeps the baseline).
export * from './index';
export * from './mxfp4_rdot';
export * from './q8_0_r4s';
