// JSON Schema → harmony TypeScript-like types (spec §6.4), rule by rule. The expected strings are
// written out from the spec's rules (and the harmony renderer's, where the spec is silent), not
// produced by the code under test.
import { describe, expect, test } from 'bun:test';
import { HarmonyError, schemaToTs } from '../src/harmony/index.ts';
import { MAX_SCHEMA_DEPTH } from '../src/harmony/schema-ts.ts';
import { toolsSection } from '../src/harmony/tools-section.ts';

describe('schemaToTs', () => {
  test('scalars, enums, arrays, type lists, unknowns', () => {
    expect(schemaToTs({ type: 'string' })).toBe('string');
    expect(schemaToTs({ type: 'string', enum: ['a', 'b', 'c'] })).toBe('"a" | "b" | "c"');
    expect(schemaToTs({ type: 'integer' })).toBe('number');
    expect(schemaToTs({ type: 'number' })).toBe('number');
    expect(schemaToTs({ type: 'boolean' })).toBe('boolean');
    expect(schemaToTs({ type: 'array', items: { type: 'integer' } })).toBe('number[]');
    expect(schemaToTs({ type: 'array', items: { type: 'array', items: { type: 'string', enum: ['x'] } } })).toBe('"x"[][]');
    expect(schemaToTs({ type: 'array' })).toBe('Array<any>');
    expect(schemaToTs({ type: ['string', 'integer', 'null'] })).toBe('string | number | null');
    expect(schemaToTs({ type: 'null' })).toBe('any');
    expect(schemaToTs({})).toBe('any');
    expect(schemaToTs('nonsense')).toBe('any');
  });

  test('object: optional fields, descriptions, defaults, nullable, nested objects indented', () => {
    const schema = {
      type: 'object',
      properties: {
        user: {
          type: 'object',
          description: 'The user',
          properties: {
            name: { type: 'string', description: 'Full name' },
            tags: { type: 'array', items: { type: 'string' } },
            address: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          },
          required: ['name'],
        },
        mode: { type: 'string', enum: ['fast', 'slow'], default: 'fast' },
        label: { type: 'string', default: 'none', nullable: true },
        n: { type: 'integer', default: 3 },
        flag: { type: 'boolean', default: false },
        extra: { type: 'object', default: { a: [1, 'b'] } },
        anything: {},
      },
      required: ['user'],
    };
    expect(schemaToTs(schema)).toBe(
      [
        '{',
        '// The user',
        // The object-level description is repeated before the nested `{` (harmony renders both).
        'user:     // The user',
        '{',
        '    // Full name',
        '    name: string,',
        '    tags?: string[],',
        '    address?: {',
        '        city: string,',
        '        },',
        '    },',
        'mode?: "fast" | "slow", // default: fast',
        'label?: string | null, // default: "none"',
        'n?: number, // default: 3',
        'flag?: boolean, // default: false',
        'extra?: {',
        '    }, // default: {"a":[1,"b"]}',
        'anything?: any,',
        '}',
      ].join('\n'),
    );
  });

  test('titles and examples become comment lines', () => {
    const schema = { type: 'object', properties: { q: { type: 'string', title: 'Query', description: 'What to find', examples: ['cats', 'dogs'] } } };
    expect(schemaToTs(schema)).toBe('{\n// Query\n//\n// What to find\n// Examples:\n// - "cats"\n// - "dogs"\nq?: string,\n}');
  });

  test('oneOf at property level: description and default above, one line per variant', () => {
    const schema = {
      type: 'object',
      properties: {
        when: {
          description: 'A time',
          default: 'now',
          oneOf: [{ type: 'string', description: 'ISO date' }, { type: 'integer', description: 'epoch seconds', nullable: true }],
        },
        same: { description: 'dup', oneOf: [{ type: 'string', description: 'dup' }, { type: 'boolean' }] },
      },
      required: ['when'],
    };
    expect(schemaToTs(schema)).toBe(
      [
        '{',
        '// A time',
        '// default: "now"',
        'when:',
        ' | string', //                  the first variant's description is not repeated under one above
        ' | number | null // epoch seconds',
        ',',
        'same?:', //                      a description equal to the first variant's is not rendered above
        ' | string',
        ' | boolean',
        ',',
        '}',
      ].join('\n'),
    );
  });

  test('oneOf as a whole type', () => {
    expect(schemaToTs({ oneOf: [{ type: 'string', description: 'a name' }, { type: 'integer', default: 1 }] })).toBe('\n | string // a name\n | number // default: 1');
  });

  test('tools section: no parameters, empty parameter object, multi-line descriptions', () => {
    const text = toolsSection([
      {
        name: 'functions',
        tools: [
          { name: 'ping', description: 'Checks.\nTwo lines.\n' },
          { name: 'noop', description: '', parameters: { type: 'object', properties: {} } },
        ],
      },
    ]);
    expect(text).toBe(
      '# Tools\n\n## functions\n\nnamespace functions {\n\n// Checks.\n// Two lines.\ntype ping = () => any;\n\ntype noop = (_: {\n}) => any;\n\n} // namespace functions',
    );
  });
});

describe('deep schemas', () => {
  const chain = (n: number, oneOf: boolean) => {
    let s: object = { type: 'string' };
    for (let i = 0; i < n; i++) s = oneOf ? { oneOf: [s] } : { type: 'object', properties: { a: s }, required: ['a'] };
    return s;
  };

  test(`nesting past MAX_SCHEMA_DEPTH (${MAX_SCHEMA_DEPTH}) is a HarmonyError, plain or oneOf, before any deep text is built`, () => {
    for (const oneOf of [false, true]) {
      expect(() => schemaToTs(chain(MAX_SCHEMA_DEPTH + 1, oneOf))).toThrow(HarmonyError);
      expect(() => schemaToTs(chain(10_000, oneOf))).toThrow(`nested more than ${MAX_SCHEMA_DEPTH} levels deep`);
    }
  });

  test('within it, a chain of n objects is n property lines and n closing lines, indented 4 spaces a level', () => {
    const n = MAX_SCHEMA_DEPTH;
    const pad = (k: number) => ' '.repeat(4 * k);
    const props = Array.from({ length: n }, (_, k) => `${pad(k)}a: ${k < n - 1 ? '{' : 'string,'}`);
    const closings = Array.from({ length: n - 1 }, (_, i) => `${pad(n - 1 - i)}},`);
    expect(schemaToTs(chain(n, false))).toBe(['{', ...props, ...closings, '}'].join('\n'));
  });
});
