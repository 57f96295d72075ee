// A forward-only reader over a hostile file: every length is checked against the bytes that remain
// *before* anything is allocated or read (the ggml gguf.cpp discipline), so a lying count fails
// with a ModelLoadError instead of a huge allocation, a hang or an out-of-bounds read.
import { ModelFile } from './io.ts';
import { ModelLoadError } from './types.ts';

const WINDOW = 1 << 20; // bytes fetched per refill; headers are read through this window
const utf8 = new TextDecoder('utf-8', { fatal: true });

export class Cursor {
  pos = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private dv = new DataView(this.buf.buffer);
  private bufStart = 0; // file offset of buf[0]

  constructor(readonly file: ModelFile) {}

  get remaining(): number {
    return this.file.size - this.pos;
  }

  fail(problem: string, tensor: string | null = null): never {
    throw new ModelLoadError(this.file.path, tensor, problem);
  }

  /** Makes [pos, pos+n) available in buf; `what` says what was being read if the file is short. */
  private need(n: number, what: string): number {
    if (n > this.remaining) this.fail(`truncated: ${what} needs ${n} bytes at offset ${this.pos}, only ${this.remaining} left`);
    if (this.pos < this.bufStart || this.pos + n > this.bufStart + this.buf.length) {
      const len = Math.min(Math.max(n, WINDOW), this.remaining);
      this.buf = this.file.bytes(this.pos, len);
      this.dv = new DataView(this.buf.buffer);
      this.bufStart = this.pos;
    }
    const at = this.pos - this.bufStart;
    this.pos += n;
    return at;
  }

  // need() may swap the buffer, so it runs before this.dv/this.buf are read.
  u8(what: string): number { const at = this.need(1, what); return this.buf[at]; }
  i8(what: string): number { const at = this.need(1, what); return this.dv.getInt8(at); }
  u16(what: string): number { const at = this.need(2, what); return this.dv.getUint16(at, true); }
  i16(what: string): number { const at = this.need(2, what); return this.dv.getInt16(at, true); }
  u32(what: string): number { const at = this.need(4, what); return this.dv.getUint32(at, true); }
  i32(what: string): number { const at = this.need(4, what); return this.dv.getInt32(at, true); }
  f32(what: string): number { const at = this.need(4, what); return this.dv.getFloat32(at, true); }
  f64(what: string): number { const at = this.need(8, what); return this.dv.getFloat64(at, true); }
  u64big(what: string): bigint { const at = this.need(8, what); return this.dv.getBigUint64(at, true); }
  i64big(what: string): bigint { const at = this.need(8, what); return this.dv.getBigInt64(at, true); }

  /** A u64 used as a count, length or offset: must be a safe integer (anything larger is a lie). */
  u64(what: string): number {
    const v = this.u64big(what);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} = ${v} is absurd`);
    return Number(v);
  }

  /** u64 length + UTF-8 bytes; the length is checked against the remaining bytes first. */
  string(what: string): string {
    const n = this.u64(`${what} length`);
    if (n > this.remaining) this.fail(`truncated: ${what} claims ${n} bytes at offset ${this.pos}, only ${this.remaining} left`);
    const at = this.need(n, what);
    try {
      return utf8.decode(this.buf.subarray(at, at + n));
    } catch {
      return this.fail(`${what} at offset ${this.pos - n} is not valid UTF-8`);
    }
  }

  skip(n: number, what: string): void {
    if (n > this.remaining) this.fail(`truncated: ${what} needs ${n} bytes at offset ${this.pos}, only ${this.remaining} left`);
    this.pos += n;
  }
}
