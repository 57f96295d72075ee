// The skip rule of test/helpers/requirements.ts itself: any truthy $CI (1, true, yes, on, any case)
// counts as CI, and under CI an opt-out (OSS_EDGE_SKIP_…=1) is ignored, so a CI that sets CI=1
// still runs the GPU, Python, Deno and nginx tests. (A rule that only took CI=true would skip them
// there without failing anything: the skipped suites report "0 fail".)
import { afterEach, expect, test } from 'bun:test';
import { inCI, requires, truthy, type Requirement } from './helpers/requirements.ts';

const saved = { CI: process.env.CI, optOut: process.env.OSS_EDGE_SKIP_REQUIREMENTS_TEST };
afterEach(() => {
  for (const [k, v] of [['CI', saved.CI], ['OSS_EDGE_SKIP_REQUIREMENTS_TEST', saved.optOut]] as const) {
    if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
});

const PRESENT: Requirement = { what: 'nothing', optOut: 'OSS_EDGE_SKIP_REQUIREMENTS_TEST', missing: () => null, fix: '-' };

test('truthy: 1, true, yes, on in any case; not unset, empty, 0, false, no, off', () => {
  for (const v of ['1', 'true', 'TRUE', 'yes', 'on', ' 1 ', 'github']) expect([v, truthy(v)]).toEqual([v, true]);
  for (const v of [undefined, '', ' ', '0', 'false', 'False', 'no', 'off', 'OFF']) expect([v, truthy(v)]).toEqual([v, false]);
});

test('CI=1 (and yes, TRUE) is CI: the opt-out is ignored and the tests run', () => {
  process.env.OSS_EDGE_SKIP_REQUIREMENTS_TEST = '1';
  for (const ci of ['1', 'true', 'yes', 'TRUE']) {
    process.env.CI = ci;
    expect([ci, inCI()]).toEqual([ci, true]);
    expect([ci, requires(PRESENT, 'requirements self-test')]).toEqual([ci, true]);
  }
  for (const ci of ['0', 'false', '']) {
    process.env.CI = ci;
    expect([ci, inCI()]).toEqual([ci, false]);
  }
  delete process.env.CI;
  expect(inCI()).toBe(false);
});
