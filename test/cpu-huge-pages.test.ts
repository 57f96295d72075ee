// Arena memories ask Linux for transparent huge pages (src/backends/cpu/huge-pages.ts), on Bun and
// on Deno, including the part a grow adds; OSS_EDGE_HUGE_PAGES=0 leaves them on the runtime's pages.
// Checked from outside the arena code: the mapping's VmFlags ("hg" = MADV_HUGEPAGE) in
// /proc/self/smaps of a process that made and grew one (test/helpers/huge-pages-probe.ts).
import { describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { DENO, ROOT } from './helpers/webgpu.ts';
import { DENO as DENO_REQ, requires } from './helpers/requirements.ts';

const PROBE = 'test/helpers/huge-pages-probe.ts';
const THP = existsSync('/sys/kernel/mm/transparent_hugepage/enabled');

interface Probe { hugePages: boolean; bytes: number; maps: { flags: string[]; hugeKiB: number }[] }

function probe(cmd: string, args: string[], env: Record<string, string> = {}): Probe {
  const r = spawnSync(cmd, [...args, PROBE], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${PROBE} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Probe;
}

describe.skipIf(process.platform !== 'linux' || !THP)('cpu arenas: transparent huge pages', () => {
  test('Bun: the whole memory, grown part included, is advised (VmFlags hg)', () => {
    const p = probe(process.execPath, []);
    expect(p.hugePages).toBe(true);
    expect(p.maps.length).toBeGreaterThan(0);
    for (const m of p.maps) expect(m.flags).toContain('hg');
  });

  test('OSS_EDGE_HUGE_PAGES=0: the runtime keeps its pages', () => {
    const p = probe(process.execPath, [], { OSS_EDGE_HUGE_PAGES: '0' });
    expect(p.hugePages).toBe(false);
    for (const m of p.maps) expect(m.flags).not.toContain('hg');
  });

  test.skipIf(!requires(DENO_REQ, 'huge pages under Deno'))('Deno: the same through Deno.dlopen', () => {
    const p = probe(DENO, ['run', '-A', '--quiet']);
    expect(p.hugePages).toBe(true);
    for (const m of p.maps) expect(m.flags).toContain('hg');
  });
});
