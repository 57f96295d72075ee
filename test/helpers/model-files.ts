// Test-side file surgery for the checkpoint readers: a small independent safetensors reader and
// writer, sharding, GGUF byte patching, and a helper that expects a ModelLoadError.
import { expect } from 'bun:test';
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FORMATS } from '../../src/model/formats.ts';
import { readGguf } from '../../src/model/gguf.ts';
import { ModelFile } from '../../src/model/io.ts';
import { ModelLoadError, type WeightRecord } from '../../src/model/types.ts';

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `oss-edge-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface StTensor { name: string; dtype: string; shape: number[]; data: Uint8Array }

/** All tensors of a .safetensors file, in data order. */
export function readSt(path: string): StTensor[] {
  const b = new Uint8Array(readFileSync(path));
  const n = Number(new DataView(b.buffer).getBigUint64(0, true));
  const hdr = JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + n)));
  const out: (StTensor & { at: number })[] = [];
  for (const [name, v] of Object.entries<any>(hdr)) {
    if (name === '__metadata__') continue;
    const [s, e] = v.data_offsets;
    out.push({ name, dtype: v.dtype, shape: v.shape, data: b.slice(8 + n + s, 8 + n + e), at: s });
  }
  return out.sort((a, c) => a.at - c.at).map(({ at: _, ...t }) => t);
}

/** Header JSON (with data_offsets) for tensors laid out back to back, padded to 8 like the reference. */
export function stHeader(tensors: { name: string; dtype: string; shape: number[]; size: number }[], extra: Record<string, unknown> = {}): Uint8Array {
  const h: Record<string, unknown> = { __metadata__: { format: 'pt' }, ...extra };
  let off = 0;
  for (const t of tensors) {
    h[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.size] };
    off += t.size;
  }
  let s = JSON.stringify(h);
  s += ' '.repeat((8 - (s.length % 8)) % 8);
  const json = new TextEncoder().encode(s);
  const out = new Uint8Array(8 + json.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

export function writeSt(path: string, tensors: StTensor[]): void {
  const head = stHeader(tensors.map((t) => ({ ...t, size: t.data.length })));
  const total = head.length + tensors.reduce((s, t) => s + t.data.length, 0);
  const out = new Uint8Array(total);
  out.set(head);
  let at = head.length;
  for (const t of tensors) {
    out.set(t.data, at);
    at += t.data.length;
  }
  writeFileSync(path, out);
}

/** Same data section, header rebuilt from `mutate(headerObject)` (offsets kept as mutated). */
export function rewriteStHeader(src: string, dst: string, mutate: (h: Record<string, any>) => void): void {
  const b = new Uint8Array(readFileSync(src));
  const n = Number(new DataView(b.buffer).getBigUint64(0, true));
  const h = JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + n)));
  mutate(h);
  const json = new TextEncoder().encode(JSON.stringify(h));
  const out = new Uint8Array(8 + json.length + b.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(b.subarray(8 + n), 8 + json.length);
  writeFileSync(dst, out);
}

/** Splits `tensors` into `n` 0-based shards (model-0000i-of-0000{n-1}, spec §2.1) plus the index. */
export function writeShards(dir: string, tensors: StTensor[], n: number): string[] {
  const names: string[] = [];
  const weightMap: Record<string, string> = {};
  const per = Math.ceil(tensors.length / n);
  for (let i = 0; i < n; i++) {
    const f = `model-${String(i).padStart(5, '0')}-of-${String(n - 1).padStart(5, '0')}.safetensors`;
    const part = tensors.slice(i * per, (i + 1) * per);
    writeSt(join(dir, f), part);
    for (const t of part) weightMap[t.name] = f;
    names.push(f);
  }
  const total = tensors.reduce((s, t) => s + t.data.length, 0);
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }));
  return names;
}

/** Index of the first occurrence of `pat` in `b`. */
export function findBytes(b: Uint8Array, pat: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= b.length - pat.length; i++) {
    for (let j = 0; j < pat.length; j++) if (b[i + j] !== pat[j]) continue outer;
    return i;
  }
  throw new Error('pattern not found');
}

/** Offset just after the GGUF string `s` (u64 length + bytes) in a GGUF header: a key or a tensor name. */
export function afterGgufString(b: Uint8Array, s: string): number {
  const bytes = new TextEncoder().encode(s);
  const pat = new Uint8Array(8 + bytes.length);
  pat.set(u64le(BigInt(bytes.length)));
  pat.set(bytes, 8);
  return findBytes(b, pat) + pat.length;
}

export function patch(b: Uint8Array, at: number, bytes: number[] | Uint8Array): Uint8Array {
  const c = b.slice();
  c.set(bytes, at);
  return c;
}

export function u64le(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return b;
}

export function u32le(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
}

/** Runs `f` and checks it throws a ModelLoadError whose message mentions every `parts` entry. */
export function expectLoadError(f: () => unknown, parts: (string | RegExp)[]): ModelLoadError {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  if (!(err instanceof ModelLoadError)) throw new Error(`expected a ModelLoadError, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  for (const p of parts) expect(err.message).toMatch(p);
  return err;
}

export function fillAll(r: WeightRecord): Uint8Array {
  const b = new Uint8Array(r.byteSize);
  r.fill(b);
  return b;
}

export function dequantAll(r: WeightRecord, bytes = fillAll(r)): Float32Array {
  const n = r.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  FORMATS[r.format].dequant(bytes, out, n);
  return out;
}

/** A copy of the GGUF `src` at `dst` whose tensor `name` has MXFP4 block `block`'s scale byte set to 255 (NaN). */
export function nanScaleCopy(src: string, dst: string, name: string, block: number): string {
  copyFileSync(src, dst);
  const f = new ModelFile(dst);
  const t = readGguf(f).tensors.find((x) => x.name === name)!;
  f.close();
  const fd = openSync(dst, 'r+');
  writeSync(fd, Uint8Array.of(255), 0, 1, t.offset + 17 * block);
  closeSync(fd);
  return dst;
}
