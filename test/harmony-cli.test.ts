// The render command end to end: the harmony functions fixture from its .input.json.
import { expect, test } from 'bun:test';
import { encodeWithSpecials, o200kHarmony } from '../src/tokenizer/index.ts';
import { fixture } from './fixtures/tokenizer/harmony-fixtures.ts';

test('cli render: chat JSON on stdin → {ids, text} of the harmony prompt', async () => {
  const p = Bun.spawn([process.execPath, 'src/cli.ts', 'render'], {
    stdin: new TextEncoder().encode(fixture('test_render_functions_with_parameters.input.json')),
    stdout: 'pipe',
    cwd: new URL('..', import.meta.url).pathname,
  });
  const out = JSON.parse(await new Response(p.stdout).text());
  expect(await p.exited).toBe(0);
  const want = fixture('test_render_functions_with_parameters.txt');
  expect(out.text).toBe(want);
  expect(out.ids).toEqual(encodeWithSpecials(o200kHarmony(), want));
});

test('cli render: an invalid request is a one-line error naming the field', async () => {
  const p = Bun.spawn([process.execPath, 'src/cli.ts', 'render'], { stdin: new TextEncoder().encode('{"messages": [{"role": "bot"}]}'), stderr: 'pipe', cwd: new URL('..', import.meta.url).pathname });
  expect(await p.exited).toBe(1);
  expect(await new Response(p.stderr).text()).toMatch(/^render: invalid chat request: messages\.0\.role/);
});
