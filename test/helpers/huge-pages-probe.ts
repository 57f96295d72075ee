// Run by test/cpu-huge-pages.test.ts under Bun or Deno: makes an arena (and grows it) the way the
// CPU backend does, writes it, and prints what /proc/self/smaps says of the memory's range.
import { Arena } from '../../src/backends/cpu/arena.ts';

const g = globalThis as { Deno?: { UnsafePointer: { of(v: Uint8Array): unknown; value(p: unknown): bigint } } };
/** The address of a view's first byte, through the runtime's FFI. */
async function address(u8: Uint8Array): Promise<number> {
  if (g.Deno) return Number(g.Deno.UnsafePointer.value(g.Deno.UnsafePointer.of(u8)));
  const spec = 'bun:ffi';
  return (await import(spec)).ptr(u8) as number;
}

const MiB = 1 << 20;
const a = new Arena(1, 8 * MiB);
const p = a.alloc(24 * MiB); // past the initial size: grows the memory
a.u8.fill(1, p, p + 24 * MiB);
const base = await address(a.u8), end = base + a.u8.byteLength;
const smaps = (await import('node:fs')).readFileSync('/proc/self/smaps', 'utf8') as string;
// every mapping overlapping the memory: its VmFlags and its AnonHugePages
const maps = smaps.split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/).flatMap((block) => {
  const [lo, hi] = block.slice(0, block.indexOf(' ')).split('-').map((h) => parseInt(h, 16));
  if (!(lo < end && hi > base)) return [];
  return [{ flags: (/VmFlags:(.*)/.exec(block)?.[1] ?? '').trim().split(/\s+/), hugeKiB: Number(/AnonHugePages:\s+(\d+)/.exec(block)?.[1] ?? 0) }];
});
console.log(JSON.stringify({ hugePages: a.hugePages, bytes: a.u8.byteLength, maps }));
