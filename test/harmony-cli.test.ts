// The render command end to end: the harmony functions fixture from its .input.json.
import { expect, test } from 'bun:test';
import { encodeWithSpecials, o200kHarmony } from '../src/tokenizer/index.ts';
import { cli } from './fixtures/tokenizer/cli.ts';
import { fixture } from './fixtures/tokenizer/harmony-fixtures.ts';

test('cli render: chat JSON on stdin → {ids, text} of the harmony prompt', async () => {
  const r = await cli(['render'], fixture('test_render_functions_with_parameters.input.json'));
  expect(r.code).toBe(0);
  const out = JSON.parse(r.out);
  const want = fixture('test_render_functions_with_parameters.txt');
  expect(out.text).toBe(want);
  expect(out.ids).toEqual(encodeWithSpecials(o200kHarmony(), want));
});

test('cli render: an invalid request is a one-line error naming the field', async () => {
  const r = await cli(['render'], '{"messages": [{"role": "bot"}]}');
  expect(r.code).toBe(1);
  expect(r.err).toMatch(/^render: invalid chat request: messages\.0\.role/);
});
