// The token loop shared by the batched (prefill) kernels of block formats: a group of four weight
// rows, already decoded to i16 into a scratch buffer, times B tokens of q8 activations.
//
// scratch layout for n_in = 32·nb inputs (per thread, src/backends/cpu/kernels.ts batchedScratch):
//   dec  [nb][4 rows][32] i16     decoded weights of block g, rows 0..3          (nb·256 bytes)
//   ws   [nb] f32x4               per-row block scale of block g, rows 0..3      (nb·16 bytes)
//   acc  [B] f32x4                running sums of the four rows for each token   (B·16 bytes)
import { hsum4_i32, store_rows, Q8_BLOCK } from './common';

@inline export function group_times_tokens(scratch: usize, x: usize, y: usize, nb: i32, n_out: i32, B: i32, r: i32, rows: i32): void {
  const dec = scratch, ws = scratch + <usize>nb * 256, acc = ws + <usize>nb * 16;
  memory.fill(acc, 0, <usize>B << 4);
  for (let g = 0; g < nb; g++) {
    const d = dec + (<usize>g << 8), s4 = v128.load(ws + (<usize>g << 4));
    for (let b = 0; b < B; b++) {
      const xq = x + <usize>b * nb * Q8_BLOCK, xb = xq + (<usize>g << 5);
      const x0 = v128.load(xb), x1 = v128.load(xb, 16);
      const x0l = i16x8.extend_low_i8x16_s(x0), x0h = i16x8.extend_high_i8x16_s(x0);
      const x1l = i16x8.extend_low_i8x16_s(x1), x1h = i16x8.extend_high_i8x16_s(x1);
      const p0 = i32x4.add(i32x4.add(i32x4.dot_i16x8_s(v128.load(d), x0l), i32x4.dot_i16x8_s(v128.load(d, 16), x0h)),
                           i32x4.add(i32x4.dot_i16x8_s(v128.load(d, 32), x1l), i32x4.dot_i16x8_s(v128.load(d, 48), x1h)));
      const p1 = i32x4.add(i32x4.add(i32x4.dot_i16x8_s(v128.load(d, 64), x0l), i32x4.dot_i16x8_s(v128.load(d, 80), x0h)),
                           i32x4.add(i32x4.dot_i16x8_s(v128.load(d, 96), x1l), i32x4.dot_i16x8_s(v128.load(d, 112), x1h)));
      const p2 = i32x4.add(i32x4.add(i32x4.dot_i16x8_s(v128.load(d, 128), x0l), i32x4.dot_i16x8_s(v128.load(d, 144), x0h)),
                           i32x4.add(i32x4.dot_i16x8_s(v128.load(d, 160), x1l), i32x4.dot_i16x8_s(v128.load(d, 176), x1h)));
      const p3 = i32x4.add(i32x4.add(i32x4.dot_i16x8_s(v128.load(d, 192), x0l), i32x4.dot_i16x8_s(v128.load(d, 208), x0h)),
                           i32x4.add(i32x4.dot_i16x8_s(v128.load(d, 224), x1l), i32x4.dot_i16x8_s(v128.load(d, 240), x1h)));
      const dx = f32x4.splat(load<f32>(xq + <usize>nb * 32 + (<usize>g << 2)));
      const a = acc + (<usize>b << 4);
      v128.store(a, f32x4.add(v128.load(a), f32x4.mul(f32x4.convert_i32x4_s(hsum4_i32(p0, p1, p2, p3)), f32x4.mul(s4, dx))));
    }
  }
  for (let b = 0; b < B; b++) store_rows(y + ((<usize>b * n_out + r) << 2), v128.load(acc + (<usize>b << 4)), rows);
}
