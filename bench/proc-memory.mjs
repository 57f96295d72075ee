// Memory figures of this process from /proc (Linux), for both engines' measurement processes:
// bench/engine-run.ts (Bun) and bench/peer/llama.mjs (Node, outside the TypeScript tree).
// `readText` reads a file as text (each runtime passes its own).

/** Peak resident memory (VmHWM), bytes. */
export function peakRss(readText) {
  return Number(/VmHWM:\s+(\d+)/.exec(readText('/proc/self/status'))?.[1] ?? 0) * 1024;
}

/**
 * Bytes mapped in 2 MiB pages: anonymous (our arenas) plus file pages mapped whole (an mmap of
 * the model file on large page-cache folios, as llama.cpp's).
 */
export function hugePageBytes(readText) {
  const t = readText('/proc/self/smaps_rollup');
  const kib = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(t)?.[1] ?? 0);
  return (kib('AnonHugePages') + kib('FilePmdMapped') + kib('ShmemPmdMapped')) * 1024;
}
