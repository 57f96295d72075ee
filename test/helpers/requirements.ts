// The one rule for tests that need something from outside the project (a WebGPU adapter, python3
// with numpy, the Deno binary, nginx with njs): they run. When the thing is missing they fail,
// saying what is missing and how to get it — unless the developer opted out by name
// (OSS_EDGE_SKIP_GPU=1, OSS_EDGE_SKIP_PYTHON=1, OSS_EDGE_SKIP_DENO=1, OSS_EDGE_SKIP_NGINX=1), which
// skips them with a banner on stderr and in Bun's skip count. CI (any truthy $CI: 1, true, yes…)
// ignores the opt-outs: CI runs everything, and .ci/run installs them all.
import { test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { jsModulePath, nginxPath } from '../../deploy/nginx.ts';
import { denoPath } from '../../src/backends/remote/remote-backend.ts';

export interface Requirement {
  /** What the tests need, for messages: "a WebGPU adapter". */
  what: string;
  /** The opt-out variable. */
  optOut: `OSS_EDGE_SKIP_${string}`;
  /** null when present, else why not. Called at most once per process. */
  missing: () => string | null;
  /** How to get it. */
  fix: string;
}

/** $CI as CI systems set it: anything but unset, empty, 0, false, no or off. */
export function truthy(v: string | undefined): boolean {
  return v !== undefined && !['', '0', 'false', 'no', 'off'].includes(v.trim().toLowerCase());
}

export const inCI = (): boolean => truthy(process.env.CI);

const probed = new Map<Requirement, string | null>();

/**
 * Whether the tests of `suite` that need `r` run in this process. False only when the developer
 * opted out (banner printed). When `r` is missing and nobody opted out, registers a failing test
 * that says so and returns false (the dependent tests then skip; the run fails).
 */
export function requires(r: Requirement, suite: string): boolean {
  if (truthy(process.env[r.optOut]) && !inCI()) {
    banner(`SKIPPED: ${suite} — ${r.optOut}=${process.env[r.optOut]} (these tests need ${r.what}; unset ${r.optOut} to run them)`);
    return false;
  }
  if (!probed.has(r)) probed.set(r, r.missing());
  const why = probed.get(r)!;
  if (why === null) return true;
  const ci = inCI() && truthy(process.env[r.optOut]) ? ` (${r.optOut} is ignored under CI=${process.env.CI}: CI runs everything)` : '';
  test(`${suite} needs ${r.what}`, () => {
    throw new Error(`${suite} needs ${r.what}, which is missing here (${why}). ${r.fix}; or set ${r.optOut}=1 to skip these tests outside CI${ci}`);
  });
  return false;
}

function banner(line: string): void {
  const bar = '!'.repeat(Math.min(100, line.length + 8));
  console.warn(`\n${bar}\n!!! ${line}\n${bar}\n`);
}

export const PYTHON_NUMPY: Requirement = {
  what: 'python3 with numpy', optOut: 'OSS_EDGE_SKIP_PYTHON',
  missing() {
    const r = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
    if (r.error) return `python3: ${r.error.message}`;
    return r.status === 0 ? null : `python3 -c 'import numpy' exited ${r.status}: ${r.stderr.trim().split('\n').at(-1)}`;
  },
  fix: 'apt-get install python3-numpy (.ci/run does)',
};

export const DENO: Requirement = {
  what: 'the Deno binary', optOut: 'OSS_EDGE_SKIP_DENO',
  missing() {
    const r = spawnSync(denoPath(), ['--version'], { encoding: 'utf8' });
    if (r.error) return `${denoPath()}: ${r.error.message}`;
    return r.status === 0 ? null : `${denoPath()} --version exited ${r.status}`;
  },
  fix: '`npm ci` installs it (an npm dependency); $OSS_EDGE_DENO names another one',
};

export const NGINX: Requirement = {
  what: 'nginx with its njs module', optOut: 'OSS_EDGE_SKIP_NGINX',
  missing() {
    const r = spawnSync(nginxPath(), ['-v'], { encoding: 'utf8' });
    if (r.error) return `${nginxPath()}: ${r.error.message}`;
    if (r.status !== 0) return `${nginxPath()} -v exited ${r.status}`;
    return existsSync(jsModulePath()) ? null : `no njs module at ${jsModulePath()}`;
  },
  fix: 'apt-get install nginx libnginx-mod-http-js (.ci/run does; $OSS_EDGE_NGINX and $OSS_EDGE_NGINX_JS_MODULE name others)',
};
