// Rotate-half (NeoX) RoPE (spec §4.5.1), in place on B rows of nh heads × hd. The caller passes
// cs [B][hd]: cos·mscale for pairs 0..hd/2−1, then sin·mscale (YaRN tables are built on the host,
// where the position is known).
export function rope_neox(x: usize, cs: usize, nh: i32, hd: i32, B: i32): void {
  const half = hd >> 1;
  for (let b = 0; b < B; b++) {
    const c = cs + ((<usize>b * hd) << 2), s = c + (<usize>half << 2);
    for (let h = 0; h < nh; h++) {
      const v = x + ((<usize>(b * nh + h) * hd) << 2);
      let i = 0;
      for (; i + 4 <= half; i += 4) {
        const o = <usize>i << 2, o2 = <usize>(i + half) << 2;
        const a = v128.load(v + o), z = v128.load(v + o2);
        const cv = v128.load(c + o), sv = v128.load(s + o);
        v128.store(v + o, f32x4.sub(f32x4.mul(a, cv), f32x4.mul(z, sv)));
        v128.store(v + o2, f32x4.add(f32x4.mul(z, cv), f32x4.mul(a, sv)));
      }
      for (; i < half; i++) {
        const o = <usize>i << 2, o2 = <usize>(i + half) << 2;
        const a = load<f32>(v + o), z = load<f32>(v + o2), cv = load<f32>(c + o), sv = load<f32>(s + o);
        store<f32>(v + o, a * cv - z * sv);
        store<f32>(v + o2, z * cv + a * sv);
      }
    }
  }
}

export function rope_neox_ref(x: usize, cs: usize, nh: i32, hd: i32, B: i32): void {
  const half = hd >> 1;
  for (let b = 0; b < B; b++) for (let h = 0; h < nh; h++) for (let i = 0; i < half; i++) {
    const v = x + ((<usize>(b * nh + h) * hd) << 2);
    const cv = load<f32>(cs + ((<usize>(b * hd + i)) << 2)), sv = load<f32>(cs + ((<usize>(b * hd + half + i)) << 2));
    const a = load<f32>(v + (<usize>i << 2)), z = load<f32>(v + (<usize>(i + half) << 2));
    store<f32>(v + (<usize>i << 2), a * cv - z * sv);
    store<f32>(v + (<usize>(i + half) << 2), z * cv + a * sv);
  }
}
