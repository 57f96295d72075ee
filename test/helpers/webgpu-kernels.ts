// Every WGSL kernel against its scalar twin (test/helpers/webgpu-twins.ts) on random data, through
// the WebGpuBackend's own operations. Runs under Deno (navigator.gpu):
//   deno run -A test/helpers/webgpu-kernels.ts      → one JSON line per check on stdout
// test/webgpu-kernels.test.ts runs it and turns each line into a bun test.
// Inputs reach the GPU the way activations do: as f32 "tables" copied into buffers by embed().
import process from 'node:process';
import { slidingCapacity, type Buf, type Tensor } from '../../src/backends/backend.ts';
import { engineOptions, type Precision } from '../../src/backends/options.ts';
import { uploadWeights } from '../../src/engine/upload.ts';
import { createWebGpuBackend, type WebGpuBackend } from '../../src/backends/webgpu/webgpu-backend.ts';
import { describeAdapter, openDevice, requestAdapter, type DeviceFeatures } from '../../src/backends/webgpu/device.ts';
import type { Lanes } from '../../src/backends/webgpu/kernels.ts';
import type { RepackOn } from '../../src/backends/webgpu/tuning.ts';
import { f16ToF32, f32ToF16, FP4_VALUES, type Format } from '../../src/model/formats.ts';
import type { ModelConfig } from '../../src/model/types.ts';
import { dequantAll, f32Bytes, memCheckpoint, randomBytes, rng, testConfig, type MemTensor } from './webgpu-checkpoint.ts';
import { attentionTwin, matmulTwin, moeTwin, rmsnormTwin, ropeTwin } from './webgpu-twins.ts';

export interface Check { name: string; worst: number; err: number; pass: boolean; note?: string }

const found = await requestAdapter();
if (!found) {
  console.log(JSON.stringify({ skip: 'no WebGPU adapter' }));
  process.exit(0);
}
const adapter = found!;
const info = describeAdapter(adapter);
const { device, features } = await openDevice(adapter);
console.log(JSON.stringify({ adapter: info.description, features: info.features }));
const rand = rng(2026);

function report(name: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: (i: number) => number, note?: string): void {
  let worst = 0, err = 0;
  if (got.length !== want.length) worst = Infinity;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= err)) err = d;
    const r = d / tol(i);
    if (!(r <= worst)) worst = d === 0 ? worst : r; // NaN propagates
  }
  console.log(JSON.stringify({ name, worst, err, pass: worst <= 1, note } satisfies Check));
}

const randF32 = (n: number, amp = 1) => Float32Array.from({ length: n }, () => (rand() - 0.5) * 2 * amp);
const table = (name: string, v: Float32Array, cols: number): MemTensor => ({ name, shape: [v.length / cols, cols], format: 'f32', bytes: f32Bytes(v) });
const vec = (name: string, v: Float32Array): MemTensor => ({ name, shape: [v.length], format: 'f32', bytes: f32Bytes(v) });

interface Setup {
  precision?: Precision; maxBatch?: number; lanes?: Lanes; arenaBytes?: number; features?: DeviceFeatures; config?: Partial<ModelConfig>;
  repack?: RepackOn; stagingBytes?: number;
}

async function backend(tensors: MemTensor[], o: Setup = {}): Promise<{ be: WebGpuBackend; t: Map<string, Tensor> }> {
  const be = createWebGpuBackend({
    ...engineOptions({ precision: o.precision ?? 'exact', maxBatch: o.maxBatch ?? 16, arenaBytes: o.arenaBytes }), lanes: o.lanes ?? 1,
    device, features: o.features ?? features, adapter: info, repack: o.repack, stagingBytes: o.stagingBytes,
  });
  const t = await uploadWeights(be, memCheckpoint(testConfig(o.config), tensors));
  return { be, t };
}

/** Every word of a matrix's parts, read back (u32 values, parts concatenated). */
async function packedWords(be: WebGpuBackend, t: Tensor): Promise<Uint32Array> {
  const parts = (t as unknown as { parts: { buf: GPUBuffer }[] }).parts;
  const words = await Promise.all(parts.map(async (p) => new Uint32Array(await be.rec.read(p.buf, 0, p.buf.size))));
  const out = new Uint32Array(words.reduce((n, w) => n + w.length, 0));
  words.reduce((at, w) => (out.set(w, at), at + w.length), 0);
  return out;
}

/** Rows [r0, r0 + n) of an f32 table into a new buffer (embed copies f32 exactly). */
function load(be: WebGpuBackend, t: Tensor, r0: number, n: number, into?: Buf): Buf {
  const b = into ?? be.buffer(n, t.shape[1]);
  be.embed(t, Int32Array.from({ length: n }, (_, i) => r0 + i), n, b);
  return b;
}

const FORMATS: Format[] = ['f32', 'f16', 'bf16', 'q8_0', 'mxfp4'];
const SHAPES: [number, number, number][] = [[32, 1, 1], [64, 7, 3], [96, 9, 2], [160, 13, 11], [256, 70, 1]];
const ODD: [number, number, number][] = [[1, 3, 1], [3, 4, 2], [7, 5, 3], [37, 6, 1], [130, 7, 9]];

// ---- weight upload: the GPU repack (wgsl/repack.wgsl, from staged file bytes) writes the same words as
// the host's packPart (the old way), bit for bit: every format, ragged dense rows, stacks, every
// E8M0 exponent and every f16 bit pattern as a Q8_0 scale (subnormals, ±0, ±inf, NaN), parts split
// under the binding limit, staging pieces that end mid-tensor and mid-part
{
  const allHalves = randomBytes('q8_0', [2048, 1024], rand); // 65536 blocks: d = every f16 pattern
  for (let b = 0; b < 65536; b++) { allHalves[34 * b] = b & 255; allHalves[34 * b + 1] = b >> 8; }
  const allE8m0 = randomBytes('mxfp4', [255, 32], rand);
  for (let r = 0; r < 255; r++) allE8m0[17 * r] = r;
  const ts: MemTensor[] = [
    { name: 'f32_ragged', shape: [5, 37], format: 'f32', bytes: randomBytes('f32', [5, 37], rand) },
    { name: 'f32_stack', shape: [3, 4, 64], format: 'f32', bytes: randomBytes('f32', [3, 4, 64], rand) },
    { name: 'f16_one', shape: [7, 1], format: 'f16', bytes: randomBytes('f16', [7, 1], rand) },
    { name: 'f16_ragged', shape: [9, 130], format: 'f16', bytes: randomBytes('f16', [9, 130], rand) },
    { name: 'bf16_ragged', shape: [5, 37], format: 'bf16', bytes: randomBytes('bf16', [5, 37], rand) },
    { name: 'bf16_stack', shape: [3, 2, 96], format: 'bf16', bytes: randomBytes('bf16', [3, 2, 96], rand) },
    { name: 'q8_0_halves', shape: [2048, 1024], format: 'q8_0', bytes: allHalves },
    { name: 'q8_0_stack', shape: [4, 5, 160], format: 'q8_0', bytes: randomBytes('q8_0', [4, 5, 160], rand) },
    { name: 'mxfp4_e8m0', shape: [255, 32], format: 'mxfp4', bytes: allE8m0 },
    { name: 'mxfp4_nb3', shape: [6, 5, 96], format: 'mxfp4', bytes: randomBytes('mxfp4', [6, 5, 96], rand) },
    { name: 'mxfp4_nb5', shape: [3, 160], format: 'mxfp4', bytes: randomBytes('mxfp4', [3, 160], rand) },
  ];
  for (const [what, o] of [['whole', {}], ['in 4 KiB parts, 1000-byte staging', { arenaBytes: 4096, stagingBytes: 1000 }]] as const) {
    const host = await backend(ts, { ...o, repack: 'host' }), gpu = await backend(ts, { ...o, repack: 'gpu' });
    for (const { name, format } of ts) {
      const [want, got] = await Promise.all([packedWords(host.be, host.t.get(name)!), packedWords(gpu.be, gpu.t.get(name)!)]);
      report(`upload ${format} ${name} ${what}: GPU repack = host packPart (${want.length} words)`, got, want, () => 0.5);
    }
    host.be.release();
    gpu.be.release();
  }
}

// ---- matmul: every format, single token and token tiles, ragged dense rows, bias, both lane counts
for (const lanes of [1, 16] as Lanes[]) {
  for (const format of FORMATS) {
    const shapes = format === 'q8_0' || format === 'mxfp4' ? SHAPES : [...SHAPES, ...ODD];
    const ts: MemTensor[] = [];
    const cases = shapes.map(([nIn, nOut, B], i) => {
      const w = randomBytes(format, [nOut, nIn], rand), x = randF32(B * nIn), bias = randF32(nOut);
      ts.push({ name: `w${i}`, shape: [nOut, nIn], format, bytes: w }, table(`x${i}`, x, nIn), vec(`w${i}_bias`, bias));
      return { nIn, nOut, B, w, x, bias: i % 2 ? bias : undefined, i };
    });
    const { be, t } = await backend(ts, { lanes });
    for (const c of cases) {
      const x = load(be, t.get(`x${c.i}`)!, 0, c.B), y = be.buffer(c.B, c.nOut);
      be.matmul(t.get(`w${c.i}`)!, x, y, c.B, c.bias ? t.get(`w${c.i}_bias`)! : null);
      const got = await be.read(y, c.B);
      const { y: want, mag } = matmulTwin(dequantAll(format, [c.nOut, c.nIn], c.w), c.nOut, c.nIn, c.x, c.B, c.bias);
      report(`matmul ${format} ${c.nOut}x${c.nIn} B=${c.B}${c.bias ? ' +bias' : ''} lanes=${lanes}`, got, want, (i) => 1e-6 * mag[i] + 1e-30);
    }
    be.release();
  }
}

// ---- mxfp4 over every E8M0 exponent 0…254 (three groups whose activations carry the opposite
// exponent, so every product stays a normal f32) and all 16 codes (randomBytes puts them in row 0)
for (const [lo, hi] of [[0, 84], [85, 169], [170, 254]]) {
  const nIn = 64, nOut = hi - lo + 1, mid = (lo + hi) >> 1;
  const w = randomBytes('mxfp4', [nOut, nIn], rand);
  for (let r = 0; r < nOut; r++) for (let g = 0; g < 2; g++) w[r * 34 + 17 * g] = lo + r;
  const x = randF32(nIn, 2 ** Math.max(-100, Math.min(100, 127 - mid)));
  const { be, t } = await backend([{ name: 'w', shape: [nOut, nIn], format: 'mxfp4', bytes: w }, table('x', x, nIn)]);
  const y = be.buffer(1, nOut);
  be.matmul(t.get('w')!, load(be, t.get('x')!, 0, 1), y, 1, null);
  const got = await be.read(y, 1);
  const want = new Float64Array(nOut), mag = new Float64Array(nOut);
  for (let r = 0; r < nOut; r++) for (let c = 0; c < nIn; c++) { // f64 straight from spec §3.6
    const o = r * 34 + 17 * (c >> 5), j = c & 31;
    const code = j < 16 ? w[o + 1 + j] & 15 : w[o + 1 + j - 16] >> 4;
    const v = FP4_VALUES[code] * 2 ** (w[o] - 127) * x[c];
    want[r] += v; mag[r] += Math.abs(v);
  }
  report(`matmul mxfp4 E8M0 ${lo}…${hi}, all 16 codes`, got, want, (i) => 1e-6 * mag[i] + 1e-300);
  be.release();
}

// ---- a matrix split over many buffers (rows) gives the same product
for (const format of ['bf16', 'mxfp4'] as Format[]) {
  const nIn = 64, nOut = 300, B = 3, w = randomBytes(format, [nOut, nIn], rand), x = randF32(B * nIn);
  const { be, t } = await backend([{ name: 'w', shape: [nOut, nIn], format, bytes: w }, table('x', x, nIn)], { arenaBytes: 4096 });
  const y = be.buffer(B, nOut);
  be.matmul(t.get('w')!, load(be, t.get('x')!, 0, B), y, B, null);
  const got = await be.read(y, B);
  const { y: want, mag } = matmulTwin(dequantAll(format, [nOut, nIn], w), nOut, nIn, x, B);
  report(`matmul ${format} ${nOut}x${nIn} in 4 KiB parts`, got, want, (i) => 1e-6 * mag[i] + 1e-30);
  be.release();
}

// ---- embed: exact rows, every format, ids across parts
for (const format of FORMATS) {
  const V = 40, cols = 64, w = randomBytes(format, [V, cols], rand), ids = [0, 39, 7, 7, 20, 33];
  const { be, t } = await backend([{ name: 'table', shape: [V, cols], format, bytes: w }], { arenaBytes: 1024 });
  const out = be.buffer(ids.length, cols);
  be.embed(t.get('table')!, Int32Array.from(ids), ids.length, out);
  const got = await be.read(out, ids.length), all = dequantAll(format, [V, cols], w);
  const want = ids.flatMap((id) => [...all.subarray(id * cols, (id + 1) * cols)]);
  report(`embed ${format} (ids over ${Math.ceil(V * cols * 4 / 1024)}+ parts)`, got, want, () => 1e-300);
  be.release();
}

// ---- rmsnorm, rope, add
{
  const ts: MemTensor[] = [], widths = [1, 5, 64, 131], B = 3;
  const data = widths.map((n, i) => {
    const x = randF32(B * n, 5), w = Float32Array.from({ length: n }, () => rand() * 2);
    ts.push(table(`x${i}`, x, n), vec(`n${i}`, w));
    return { n, x, w, i };
  });
  const hds = [64, 12, 6], nh = 3;
  const rope = hds.map((hd, i) => {
    const x = randF32(B * nh * hd), cs = randF32(B * hd);
    ts.push(table(`r${i}`, x, nh * hd));
    return { hd, x, cs, i };
  });
  const a = randF32(4 * 50, 3), b = randF32(4 * 50, 3);
  ts.push(table('a', a, 50), table('b', b, 50));
  const { be, t } = await backend(ts);
  for (const d of data) {
    const x = load(be, t.get(`x${d.i}`)!, 0, B), y = be.buffer(B, d.n);
    be.rmsnorm(x, t.get(`n${d.i}`)!, y, B, 1e-5);
    const want = rmsnormTwin(d.x, d.w, d.n, B, 1e-5);
    report(`rmsnorm n=${d.n} B=${B}`, await be.read(y, B), want, (i) => 1e-5 * (1 + Math.abs(want[i])));
  }
  for (const r of rope) {
    const x = load(be, t.get(`r${r.i}`)!, 0, B);
    be.rope(x, nh, r.hd, r.cs, B);
    report(`rope hd=${r.hd} heads=${nh} B=${B}`, await be.read(x, B), ropeTwin(r.x, nh, r.hd, r.cs, B), () => 1e-6);
  }
  const X = load(be, t.get('a')!, 0, 4), Y = load(be, t.get('b')!, 0, 4);
  be.add(X, Y, 3);
  const want = Float32Array.from(a, (v, i) => (i < 150 ? Math.fround(v + b[i]) : v));
  report('add (3 of 4 rows)', await be.read(X, 4), want, () => 1e-300);
  be.release();
}

// ---- attention: sinks, GQA, causal, sliding window, ring wrap-around, > 256 keys, f16 K/V
const f16round = (v: Float32Array) => Float32Array.from(v, (x) => f16ToF32(f32ToF16(x)));
const ATTENTION: { nq: number; nkv: number; hd: number; window: number; maxBatch: number; chunks: number[]; kv?: 'f16' | 'f16packed' }[] = [
  { nq: 4, nkv: 2, hd: 64, window: 0, maxBatch: 16, chunks: [5, 1, 14] },
  { nq: 4, nkv: 1, hd: 6, window: 3, maxBatch: 64, chunks: [...Array(9).fill(64), 20, 1, 3] }, // 600 positions: the ring (3 + 512 slots) wraps
  { nq: 6, nkv: 2, hd: 8, window: 4, maxBatch: 8, chunks: [8, 3, 1] },
  { nq: 2, nkv: 2, hd: 64, window: 0, maxBatch: 64, chunks: [64, 64, 64, 64, 44, 1] }, // 301 keys: > one 256-key chunk
  { nq: 4, nkv: 2, hd: 64, window: 5, maxBatch: 8, chunks: [8, 1, 1], kv: 'f16' },
  { nq: 4, nkv: 2, hd: 64, window: 0, maxBatch: 8, chunks: [8, 1, 1], kv: 'f16packed' },
];
for (const c of ATTENTION) {
  const n = c.chunks.reduce((a, b) => a + b, 0), kvw = c.nkv * c.hd;
  const q = randF32(n * c.nq * c.hd), k = randF32(n * kvw), v = randF32(n * kvw), sinks = randF32(c.nq, 2);
  const sliding = c.window > 0;
  const { be, t } = await backend([table('q', q, c.nq * c.hd), table('k', k, kvw), table('v', v, kvw), vec('sinks', sinks)], {
    maxBatch: c.maxBatch, precision: c.kv ? 'fast' : 'exact', features: { f16: c.kv === 'f16' },
    config: { numHeads: c.nq, numKvHeads: c.nkv, headDim: c.hd, slidingWindow: Math.max(1, c.window), layerTypes: [sliding ? 'sliding_attention' : 'full_attention'] },
  });
  const cache = be.kvCache(testConfig({ numKvHeads: c.nkv, headDim: c.hd, slidingWindow: Math.max(1, c.window), layerTypes: [sliding ? 'sliding_attention' : 'full_attention'] }), n);
  const Q = be.buffer(c.maxBatch, c.nq * c.hd), K = be.buffer(c.maxBatch, kvw), V = be.buffer(c.maxBatch, kvw), O = be.buffer(c.maxBatch, c.nq * c.hd);
  const kh = c.kv ? f16round(k) : k, vh = c.kv ? f16round(v) : v;
  let pos = 0;
  for (const B of c.chunks) {
    load(be, t.get('q')!, pos, B, Q); load(be, t.get('k')!, pos, B, K); load(be, t.get('v')!, pos, B, V);
    be.attention(cache, 0, Q, K, V, t.get('sinks')!, O, pos, B, c.window);
    const got = await be.read(O, B);
    const want = attentionTwin(q.subarray(pos * c.nq * c.hd), kh, vh, sinks, c.nq, c.nkv, c.hd, pos, B, c.window);
    report(`attention nq=${c.nq} nkv=${c.nkv} hd=${c.hd} window=${c.window} cache=${sliding ? `ring of ${slidingCapacity(c.window, n, c.maxBatch)}` : n} K/V ${c.kv ?? 'f32'}: positions ${pos}…${pos + B - 1}`,
      got, want, () => (c.kv ? 2e-5 : 2e-6));
    pos += B;
  }
  be.release();
}
{ // spec §4.5.4 example: scores [1, 2], sink 0.5 → weights [0.231224, 0.628532]
  const { be, t } = await backend([table('q', Float32Array.of(2, 0, 0, 0), 4), table('k', Float32Array.of(1, 0, 0, 0, 2, 0, 0, 0), 4),
    table('v', Float32Array.of(1, 0, 0, 0, 0, 1, 0, 0), 4), vec('sinks', Float32Array.of(0.5))],
  { config: { numHeads: 1, numKvHeads: 1, headDim: 4, layerTypes: ['full_attention'] } });
  const cache = be.kvCache(testConfig({ numKvHeads: 1, headDim: 4, layerTypes: ['full_attention'] }), 2);
  const K = load(be, t.get('k')!, 0, 2), V = load(be, t.get('v')!, 0, 2), Q = be.buffer(2, 4), O = be.buffer(2, 4);
  load(be, t.get('q')!, 0, 1, be.view(Q, 1, 1));
  be.attention(cache, 0, Q, K, V, t.get('sinks')!, O, 0, 2, 0);
  report('attention: the sink takes probability mass, no value (spec §4.5.4 example)', (await be.read(O, 2)).subarray(4), [0.231224, 0.628532, 0, 0], () => 1e-6);
  be.release();
}

// ---- MoE: router top-4 (ties → lower id), softmax over the 4, clamped SwiGLU, experts in parts
const MOE: { format: Format; B: number; lanes: Lanes; arenaBytes?: number; ties?: boolean }[] = [
  { format: 'mxfp4', B: 1, lanes: 1 }, { format: 'mxfp4', B: 11, lanes: 1, arenaBytes: 8192 }, { format: 'mxfp4', B: 5, lanes: 16 },
  { format: 'bf16', B: 3, lanes: 1 }, { format: 'f32', B: 9, lanes: 16, arenaBytes: 20000 }, { format: 'q8_0', B: 2, lanes: 1 },
  { format: 'mxfp4', B: 4, lanes: 1, ties: true },
];
for (const m of MOE) {
  const E = 8, K = 4, H = 64, I = 32;
  const router = m.ties ? new Float32Array(E * H) : randF32(E * H, 0.3), routerBias = m.ties ? new Float32Array(E).fill(1) : randF32(E, 0.5);
  const scale = { eLo: 119, eHi: 124, amp: m.format === 'q8_0' ? 0.1 : 0.3 }; // expert weights of |w| ≲ 1
  const gu = randomBytes(m.format, [E, 2 * I, H], rand, scale), dn = randomBytes(m.format, [E, H, I], rand, scale);
  const guBias = randF32(E * 2 * I), dnBias = randF32(E * H), x = randF32(m.B * H, 2);
  const { be, t } = await backend([
    { name: 'router', shape: [E, H], format: 'f32', bytes: f32Bytes(router) }, vec('router_bias', routerBias),
    { name: 'experts_gate_up', shape: [E, 2 * I, H], format: m.format, bytes: gu }, { name: 'experts_gate_up_bias', shape: [E, 2 * I], format: 'f32', bytes: f32Bytes(guBias) },
    { name: 'experts_down', shape: [E, H, I], format: m.format, bytes: dn }, { name: 'experts_down_bias', shape: [E, H], format: 'f32', bytes: f32Bytes(dnBias) },
    table('x', x, H),
  ], { lanes: m.lanes, arenaBytes: m.arenaBytes, config: { numExperts: E, expertsPerToken: K, hiddenSize: H, intermediateSize: I } });
  const X = load(be, t.get('x')!, 0, m.B), Y = be.buffer(m.B, H);
  const c = testConfig({ numExperts: E, expertsPerToken: K, hiddenSize: H, intermediateSize: I });
  // the MoE steps as forward() runs them (spec §4.6)
  const logits = be.buffer(m.B, E), ids = be.buffer(m.B, K), wts = be.buffer(m.B, K);
  const gateUp = be.buffer(m.B * K, 2 * I), glu = be.buffer(m.B * K, I), down = be.buffer(m.B * K, H);
  be.matmul(t.get('router')!, X, logits, m.B, t.get('router_bias')!);
  be.route(logits, ids, wts, m.B, K);
  be.expertMatmul(t.get('experts_gate_up')!, X, ids, gateUp, m.B, t.get('experts_gate_up_bias')!, 'token');
  be.swiglu(gateUp, glu, m.B * K, c.swigluAlpha, c.swigluLimit);
  be.expertMatmul(t.get('experts_down')!, glu, ids, down, m.B, t.get('experts_down_bias')!, 'slot');
  be.combine(down, ids, wts, Y, m.B, K);
  const got = await be.read(Y, m.B);
  const { y: want } = moeTwin(x, { router, routerBias, gateUp: dequantAll(m.format, [E, 2 * I, H], gu), gateUpBias: guBias,
    down: dequantAll(m.format, [E, H, I], dn), downBias: dnBias }, m.B, E, K, H, I);
  report(`moe ${m.format} experts E=${E} top-${K} B=${m.B} lanes=${m.lanes}${m.arenaBytes ? ` in ${m.arenaBytes}-byte parts` : ''}${m.ties ? ', all router logits tied' : ''}`,
    got, want, (i) => 2e-5 * (1 + Math.abs(want[i])));
  be.release();
}

device.destroy();
