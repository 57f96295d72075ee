// The writers stream synthetic tensors by rows: writing a file several times the size of its
// largest tensor asks the records for pieces of ≤ 16 MiB (never a whole tensor) and writes from a
// few reused buffers, whose bytes together stay far below the largest tensor. Counted on the
// buffers the writer hands to the records and to writeSync, so the result does not depend on
// when the collector runs; the resident-memory figure itself is measured by bench/synth.ts.
import { afterAll, afterEach, expect, mock, spyOn, test } from 'bun:test';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { CHUNK_BYTES } from '../src/model/io.ts';
import type { Checkpoint, WeightRecord } from '../src/model/types.ts';
import { writeGguf } from '../src/synth/gguf-write.ts';
import { writeHf } from '../src/synth/safetensors-write.ts';
import { synthCheckpoint } from '../src/synth/generator.ts';
import { configOfJson, presetConfigJson } from '../src/synth/presets.ts';
import { tempDir } from './helpers/model-files.ts';

const tmp = tempDir('synth-mem');
afterAll(() => tmp.cleanup());

// Real widths, one layer, vocab 32768: embed and unembed are 189 MB each, the file ~480 MB.
const ckpt = synthCheckpoint(configOfJson(presetConfigJson('small', { num_hidden_layers: 1, vocab_size: 32768, eos_token_id: 32756, pad_token_id: 32753 })), { seed: 2 });
const largest = Math.max(...[...ckpt.tensors.values()].map((r) => r.byteSize));
const BOUND = 100e6; // pieces: 16 MiB source + 2 × 16 MiB output + staging, with slack

interface Seen { largestPiece: number; wholeFills: string[]; writes: number; largestWrite: number; buffers: Set<ArrayBufferLike> }

/**
 * The checkpoint with its records watched: each fillRows piece (size, and the buffer it lands in)
 * and each whole-tensor fill; plus every writeSync of the writer.
 */
function watched(c: Checkpoint): { ckpt: Checkpoint; seen: Seen } {
  const seen: Seen = { largestPiece: 0, wholeFills: [], writes: 0, largestWrite: 0, buffers: new Set() };
  const tensors = new Map<string, WeightRecord>();
  for (const [name, r] of c.tensors) {
    tensors.set(name, {
      ...r,
      fill(dst, progress) { seen.wholeFills.push(name); r.fill(dst, progress); },
      fillRows: (dst, r0, r1) => {
        seen.largestPiece = Math.max(seen.largestPiece, dst.length);
        seen.buffers.add(dst.buffer);
        r.fillRows!(dst, r0, r1);
      },
    });
  }
  spyOn(fs, 'writeSync').mockImplementation(((fd: number, data: Uint8Array, offset?: number, length?: number, position?: number) => {
    seen.writes++;
    seen.largestWrite = Math.max(seen.largestWrite, length ?? data.length);
    if (data.length >= 1 << 20) seen.buffers.add(data.buffer);
    return realWriteSync(fd, data, offset, length, position);
  }) as typeof fs.writeSync);
  return { ckpt: { ...c, tensors }, seen };
}
const realWriteSync = fs.writeSync;
afterEach(() => mock.restore());

/** Bytes of the distinct buffers the writer used for pieces and writes. */
const heldBytes = (s: Seen) => [...s.buffers].reduce((n, b) => n + b.byteLength, 0);

test('GGUF writer: pieces of ≤ 16 MiB, no whole tensor, a few reused buffers far below the largest tensor', () => {
  expect(largest).toBeGreaterThan(180e6);
  const { ckpt: w, seen } = watched(ckpt);
  const p = join(tmp.dir, 'm.gguf');
  writeGguf(p, w, { dense: 'bf16' });
  expect(fs.statSync(p).size).toBeGreaterThan(450e6);
  expect(seen.wholeFills).toEqual([]);
  expect(seen.largestPiece).toBeLessThanOrEqual(CHUNK_BYTES);
  expect(seen.largestWrite).toBeLessThanOrEqual(CHUNK_BYTES);
  expect(seen.writes).toBeGreaterThan(450e6 / CHUNK_BYTES); // the file went out in pieces
  expect(heldBytes(seen)).toBeLessThan(BOUND);
});

test('HF writer: pieces of ≤ 16 MiB, no whole tensor, a few reused buffers far below the largest tensor', () => {
  const { ckpt: w, seen } = watched(ckpt);
  const d = join(tmp.dir, 'hf');
  writeHf(d, w);
  expect(fs.statSync(join(d, 'model.safetensors')).size).toBeGreaterThan(450e6);
  expect(seen.wholeFills).toEqual([]);
  expect(seen.largestPiece).toBeLessThanOrEqual(CHUNK_BYTES);
  expect(seen.largestWrite).toBeLessThanOrEqual(CHUNK_BYTES);
  expect(seen.writes).toBeGreaterThan(450e6 / CHUNK_BYTES);
  expect(heldBytes(seen)).toBeLessThan(BOUND);
});
