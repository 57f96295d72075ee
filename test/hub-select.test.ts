// Model names and the choice of files (src/hub/names.ts, select.ts), on the file lists of the real
// repos as the hub lists them (sizes made up).
import { describe, expect, test } from 'bun:test';
import { parseModelRef, pullCommand } from '../src/hub/names.ts';
import { quantTag, selectFiles, SelectError } from '../src/hub/select.ts';

const files = (...paths: string[]) => paths.map((path, i) => ({ path, size: 1000 + i }));

// openai/gpt-oss-20b at the time of writing.
const OPENAI = files('.gitattributes', 'LICENSE', 'README.md', 'USAGE_POLICY', 'chat_template.jinja', 'config.json', 'generation_config.json',
  'metal/model.bin', 'model-00000-of-00002.safetensors', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors',
  'model.safetensors.index.json', 'original/config.json', 'original/dtypes.json', 'original/model.safetensors', 'special_tokens_map.json',
  'tokenizer.json', 'tokenizer_config.json');
const UNSLOTH = files('.gitattributes', 'README.md', 'gpt-oss-20b-F16.gguf', 'gpt-oss-20b-Q2_K.gguf', 'gpt-oss-20b-Q4_K_M.gguf', 'gpt-oss-20b-Q4_K_S.gguf',
  'gpt-oss-20b-Q8_0.gguf', 'gpt-oss-20b-UD-Q4_K_XL.gguf', 'template');

describe('names', () => {
  test('short names, Ollama spelling, repo ids with a file or quant, hub URLs', () => {
    expect(parseModelRef('gpt-oss-20b')).toEqual({ name: 'gpt-oss-20b', repo: 'ggml-org/gpt-oss-20b-GGUF' });
    expect(parseModelRef('gpt-oss:20b')).toEqual({ name: 'gpt-oss-20b', repo: 'ggml-org/gpt-oss-20b-GGUF' });
    expect(parseModelRef('gpt-oss-120b')?.repo).toBe('openai/gpt-oss-120b');
    expect(parseModelRef('openai/gpt-oss-20b')).toEqual({ name: 'openai/gpt-oss-20b', repo: 'openai/gpt-oss-20b' });
    expect(parseModelRef('unsloth/gpt-oss-20b-GGUF:Q8_0')).toEqual({ name: 'unsloth/gpt-oss-20b-GGUF:Q8_0', repo: 'unsloth/gpt-oss-20b-GGUF', file: 'Q8_0' });
    expect(parseModelRef('hf.co/unsloth/gpt-oss-20b-GGUF:F16')?.file).toBe('F16');
    expect(parseModelRef('https://huggingface.co/openai/gpt-oss-20b')?.repo).toBe('openai/gpt-oss-20b');
  });
  test('paths and junk are not names', () => {
    for (const s of ['model.gguf', '/abs/path/x.gguf', './a/b', '../x/y', 'a/b/c', 'a/..', '', 'gpt-oss-7b']) expect(parseModelRef(s)).toBeNull();
  });
  test('the pull command is quoted when the shell needs it', () => {
    expect(pullCommand('gpt-oss-20b')).toBe('npx bun src/cli.ts pull gpt-oss-20b');
    expect(pullCommand('a/b:x y.gguf')).toBe("npx bun src/cli.ts pull 'a/b:x y.gguf'");
  });
});

describe('which files', () => {
  test('safetensors repo: config, json and top-level shards; not original/, metal/ or docs', () => {
    const s = selectFiles('openai/gpt-oss-20b', OPENAI);
    expect(s).toMatchObject({ kind: 'hf', model: '' });
    expect(s.files).toEqual(['config.json', 'generation_config.json', 'model-00000-of-00002.safetensors', 'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors', 'model.safetensors.index.json', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']);
  });
  test('original/ when asked for, or when it is the only copy', () => {
    expect(selectFiles('r/x', OPENAI, 'original')).toMatchObject({ kind: 'hf', model: 'original', files: ['original/config.json', 'original/dtypes.json', 'original/model.safetensors'] });
    const onlyOriginal = OPENAI.filter((f) => !/^model-|^config/.test(f.path));
    expect(selectFiles('r/x', onlyOriginal).model).toBe('original');
  });
  test('GGUF repo: one file by default, by quant tag or by name', () => {
    expect(selectFiles('g/x', files('README.md', 'gpt-oss-20b-mxfp4.gguf'))).toMatchObject({ kind: 'gguf', files: ['gpt-oss-20b-mxfp4.gguf'], model: 'gpt-oss-20b-mxfp4.gguf' });
    const byDefault = selectFiles('unsloth/gpt-oss-20b-GGUF', UNSLOTH);
    expect(byDefault.files).toEqual(['gpt-oss-20b-Q8_0.gguf']);
    expect(byDefault.note).toContain('Q8_0 by default');
    expect(selectFiles('u/x', UNSLOTH, 'f16').files).toEqual(['gpt-oss-20b-F16.gguf']);
    expect(selectFiles('u/x', UNSLOTH, 'gpt-oss-20b-Q2_K.gguf').files).toEqual(['gpt-oss-20b-Q2_K.gguf']);
    expect(selectFiles('u/x', UNSLOTH, 'UD-Q4_K_XL').files).toEqual(['gpt-oss-20b-UD-Q4_K_XL.gguf']);
  });
  test('a quant the loader does not read is chosen with a warning; ambiguity and absence are errors listing the choices', () => {
    expect(selectFiles('u/x', UNSLOTH, 'Q4_K_M').warning).toContain('Q4_K_M file');
    expect(selectFiles('u/x', UNSLOTH, 'Q8_0').warning).toBeUndefined();
    expect(() => selectFiles('u/x', UNSLOTH, 'Q4_K')).toThrow(/matches several files in u\/x: gpt-oss-20b-Q4_K_M.gguf, gpt-oss-20b-Q4_K_S.gguf/);
    expect(() => selectFiles('u/x', UNSLOTH, 'Q3_K_M')).toThrow(/no GGUF file matching Q3_K_M; it has F16, Q2_K, Q4_K_M, Q4_K_S, Q8_0, UD-Q4_K_XL/);
    expect(() => selectFiles('u/x', files('a-Q4_K_M.gguf', 'a-Q5_K_M.gguf'))).toThrow(SelectError);
    expect(() => selectFiles('u/x', files('README.md'))).toThrow(/neither GGUF files nor a safetensors checkpoint/);
  });
  test('split GGUF files are refused (the loader reads single files)', () => {
    const split = files('gpt-oss-120b-mxfp4-00001-of-00003.gguf', 'gpt-oss-120b-mxfp4-00002-of-00003.gguf', 'gpt-oss-120b-mxfp4-00003-of-00003.gguf');
    expect(() => selectFiles('g/x', split)).toThrow(/split into several files \(3\)/);
  });
  test('quant tags', () => {
    expect(['gpt-oss-20b-mxfp4.gguf', 'x/gpt-oss-20b-Q4_K_M.gguf', 'a-BF16-00001-of-00002.gguf', 'gpt-oss-20b.gguf'].map(quantTag)).toEqual(['MXFP4', 'Q4_K_M', 'BF16', null]);
  });
});
