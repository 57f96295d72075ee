// HF folders split into shards (0-based names, spec §2.1/§9.12) and files whose tensors sit past
// 4 GiB (the 20b shards are ~4.8 GB; offsets must stay plain numbers, not 32-bit).
import { afterAll, expect, test } from 'bun:test';
import { closeSync, copyFileSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint } from '../src/model/checkpoint.ts';
import type { Checkpoint } from '../src/model/types.ts';
import { GOLDEN } from './helpers/golden.ts';
import { expectLoadError, fillAll, readSt, stHeader, tempDir, writeShards } from './helpers/model-files.ts';

const tmp = tempDir('shards');
afterAll(tmp.cleanup);
const goldenDir = join(GOLDEN, 'tiny-a');
const golden = loadCheckpoint(goldenDir);
afterAll(() => golden.close());

function expectSameTensors(c: Checkpoint): void {
  expect(c.config).toEqual(golden.config);
  expect([...c.tensors.keys()].sort()).toEqual([...golden.tensors.keys()].sort());
  for (const [n, r] of golden.tensors) {
    const o = c.tensors.get(n)!;
    expect([o.format, o.shape]).toEqual([r.format, r.shape]);
    if (Buffer.compare(fillAll(o), fillAll(r)) !== 0) throw new Error(`${n} differs`);
  }
}

function shardedCopy(name: string, n: number): { dir: string; shards: string[] } {
  const dir = join(tmp.dir, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  copyFileSync(join(goldenDir, 'config.json'), join(dir, 'config.json'));
  // Reverse order, so that MXFP4 blocks and their scales land in different shards.
  const shards = writeShards(dir, readSt(join(goldenDir, 'model.safetensors')).reverse(), n);
  return { dir, shards };
}

test('three 0-based shards with an index load like the single file', () => {
  const { dir, shards } = shardedCopy('three', 3);
  expect(shards).toEqual(['model-00000-of-00002.safetensors', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
  const c = loadCheckpoint(dir);
  expectSameTensors(c);
  c.close();
});

test('a missing shard is named in the error', () => {
  const { dir, shards } = shardedCopy('missing', 2);
  rmSync(join(dir, shards[1]));
  expectLoadError(() => loadCheckpoint(dir), [shards[1], /missing/]);
});

test('shards without an index are all read', () => {
  const { dir } = shardedCopy('noindex', 2);
  rmSync(join(dir, 'model.safetensors.index.json'));
  const c = loadCheckpoint(dir);
  expectSameTensors(c);
  c.close();
});

test('an index naming the wrong shard for a tensor is an error', () => {
  const { dir, shards } = shardedCopy('wrongmap', 2);
  const idxPath = join(dir, 'model.safetensors.index.json');
  const idx = JSON.parse(readFileSync(idxPath, 'utf8'));
  idx.weight_map['lm_head.weight'] = shards[1] === idx.weight_map['lm_head.weight'] ? shards[0] : shards[1];
  writeFileSync(idxPath, JSON.stringify(idx));
  expectLoadError(() => loadCheckpoint(dir), ['lm_head.weight', /not in this shard/]);
});

test('tensor data beyond 4 GiB (sparse file) is read at the right offsets', () => {
  const dir = join(tmp.dir, 'big');
  mkdirSync(dir);
  copyFileSync(join(goldenDir, 'config.json'), join(dir, 'config.json'));
  const tensors = readSt(join(goldenDir, 'model.safetensors'));
  const pad = 2 ** 32 + 4099; // an ignored tensor pushes everything past 2^32, unaligned
  const head = stHeader([{ name: 'padding', dtype: 'U8', shape: [pad], size: pad }, ...tensors.map((t) => ({ ...t, size: t.data.length }))]);
  const path = join(dir, 'model.safetensors');
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, head, 0, head.length, 0);
    let at = head.length + pad;
    for (const t of tensors) {
      writeSync(fd, t.data, 0, t.data.length, at);
      at += t.data.length;
    }
  } finally {
    closeSync(fd);
  }
  const c = loadCheckpoint(dir);
  expectSameTensors(c);
  c.close();
  rmSync(path);
});
