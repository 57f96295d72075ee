// A weight arena: one shared WebAssembly.Memory (≤ 4 GiB, memory32 — Bun has no memory64) with
// its own instance of the kernel module. Space is handed out by a bump allocator at load time
// only; nothing is allocated per token (DESIGN.md invariant 4).
import { instantiate, type Kernels } from './module.ts';
import { kernelModule } from './variants.ts';
import { adviseHugePages } from './huge-pages.ts';

export const PAGE = 65536;
export const MAX_ARENA_BYTES = 65536 * PAGE; // 4 GiB
const RESERVED = PAGE; // AssemblyScript statics live below --memoryBase; keep the first page free

export class Arena {
  readonly memory: WebAssembly.Memory;
  readonly k: Kernels;
  private top = RESERVED;
  /** Whether the kernel was asked to back this memory with huge pages (huge-pages.ts). */
  hugePages = false;
  private u8view: Uint8Array;
  private f32view: Float32Array;

  /** `module`: the kernel build to instantiate (tests pass each variant's; else the process's). */
  constructor(readonly index: number, initialBytes: number, readonly maxBytes = MAX_ARENA_BYTES, readonly module = kernelModule()) {
    const initial = Math.max(1, Math.ceil((initialBytes + RESERVED) / PAGE));
    const maximum = Math.max(initial, Math.ceil(maxBytes / PAGE));
    this.memory = new WebAssembly.Memory({ initial, maximum, shared: true });
    this.k = instantiate(this.memory, module);
    this.hugePages = adviseHugePages(this.memory);
    this.u8view = new Uint8Array(this.memory.buffer);
    this.f32view = new Float32Array(this.memory.buffer);
  }

  get used(): number { return this.top; }

  /** Reserves `bytes` (64-byte aligned so v128 rows start on cache lines), growing the memory if needed. */
  alloc(bytes: number): number {
    const ptr = Math.ceil(this.top / 64) * 64;
    const end = ptr + bytes;
    if (end > this.maxBytes) throw new Error(`arena ${this.index}: ${end} bytes exceed its ${this.maxBytes}-byte limit`);
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      this.memory.grow(Math.ceil((end - have) / PAGE));
      this.hugePages = adviseHugePages(this.memory);
      this.u8view = new Uint8Array(this.memory.buffer);
      this.f32view = new Float32Array(this.memory.buffer);
    }
    this.top = end;
    return ptr;
  }

  get u8(): Uint8Array { return this.u8view; }
  get f32(): Float32Array { return this.f32view; }
}
