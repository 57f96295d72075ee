// Sync file access for the checkpoint readers. node:fs works unchanged on Bun and Deno.
// Offsets are plain numbers: exact to 2^53 bytes, far past any checkpoint (120b ≈ 65 GB); BigInt
// appears only where a u64 is parsed (cursor.ts).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ModelLoadError } from './types.ts';

/** Largest single read, and the most any fill() keeps in a scratch buffer. */
export const CHUNK_BYTES = 16 << 20;

/** Our own invariants (not the file's): a failure here is a bug in oss-edge. */
export function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** One open checkpoint file: every read is bounds-checked against the size seen at open. */
export class ModelFile {
  readonly fd: number;
  readonly size: number;
  private closed = false;

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'r');
      this.size = fstatSync(this.fd).size;
    } catch (e) {
      throw new ModelLoadError(path, null, `cannot open: ${errorText(e)}`);
    }
  }

  /** Reads exactly `len` bytes at file offset `pos` into dst[off..]; `tensor` names the culprit. */
  read(dst: Uint8Array, off: number, len: number, pos: number, tensor: string | null = null): void {
    if (this.closed) throw new ModelLoadError(this.path, tensor, 'read after the checkpoint was closed');
    if (pos < 0 || len < 0 || pos + len > this.size) {
      throw new ModelLoadError(this.path, tensor, `read of ${len} bytes at offset ${pos} is past the end of the file (${this.size} bytes)`);
    }
    assert(off >= 0 && off + len <= dst.length, 'read destination too small');
    while (len > 0) {
      const want = Math.min(len, CHUNK_BYTES);
      let got: number;
      try {
        got = readSync(this.fd, dst, off, want, pos);
      } catch (e) {
        throw new ModelLoadError(this.path, tensor, `read failed at offset ${pos}: ${errorText(e)}`);
      }
      // The size was checked above, so a short read means the file shrank under us.
      if (got <= 0) throw new ModelLoadError(this.path, tensor, `short read at offset ${pos} (file changed while loading?)`);
      off += got;
      pos += got;
      len -= got;
    }
  }

  /** A fresh buffer holding bytes [pos, pos+len). Only for headers and bounded chunks. */
  bytes(pos: number, len: number, tensor: string | null = null): Uint8Array {
    const b = new Uint8Array(len);
    this.read(b, 0, len, pos, tensor);
    return b;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

// One scratch buffer per role, reused across fills (the readers are synchronous, so no two fills
// run at once). Grows to at most CHUNK_BYTES plus one row.
const scratchBufs: Uint8Array[] = [];
export function scratch(slot: number, n: number): Uint8Array {
  let b = scratchBufs[slot];
  if (!b || b.length < n) scratchBufs[slot] = b = new Uint8Array(n);
  return b;
}

/** Drops the scratch buffers (called when a checkpoint closes). */
export function releaseScratch(): void {
  scratchBufs.length = 0;
}
