// A second, test-side Q8_0 quantiser, written from ggml's quantize_row_q8_0_ref (ggml-quants.c)
// and spec §7.1 (34-byte block: f16 d, then 32 int8 q; value = d·q) without src/model's code: the
// f16 scale through the runtime's own DataView.setFloat16, C's roundf spelled out. The writer and
// the load-time re-quantiser are checked against it (they share src/model/quantize.ts, so checking
// one against the other could not catch a fault in that file).

/** Q8_0 blocks of `values` (a multiple of 32 long). */
export function q8Reference(values: Float32Array): Uint8Array {
  if (values.length % 32) throw new Error(`q8Reference: ${values.length} values are not whole blocks`);
  const out = new Uint8Array((values.length / 32) * 34), dv = new DataView(out.buffer);
  for (let b = 0; b < values.length / 32; b++) {
    const x = values.subarray(b * 32, b * 32 + 32);
    let amax = 0;
    for (const v of x) amax = Math.max(amax, Math.abs(v));
    const d = Math.fround(amax / 127); //            float d = amax / ((1 << 7) - 1);
    const id = d !== 0 ? Math.fround(1 / d) : 0; //  float id = d ? 1.0f/d : 0.0f;
    dv.setFloat16(b * 34, d, true); //               y[i].d = GGML_FP32_TO_FP16(d); (round to nearest even)
    for (let j = 0; j < 32; j++) dv.setInt8(b * 34 + 2 + j, roundHalfAway(Math.fround(x[j] * id)));
  }
  return out;
}

/** The values Q8_0 blocks stand for: f16 d times each int8 q. */
export function q8Values(blocks: Uint8Array): Float32Array {
  const dv = new DataView(blocks.buffer, blocks.byteOffset, blocks.byteLength), n = blocks.length / 34;
  const out = new Float32Array(n * 32);
  for (let b = 0; b < n; b++) {
    const d = dv.getFloat16(b * 34, true);
    for (let j = 0; j < 32; j++) out[b * 32 + j] = d * dv.getInt8(b * 34 + 2 + j);
  }
  return out;
}

/** C roundf: halves away from zero (Math.round takes -2.5 to -2). */
function roundHalfAway(x: number): number {
  const r = Math.floor(Math.abs(x) + 0.5);
  return x < 0 ? -r : r;
}
