// JSON Schema → the TypeScript-like parameter types of a harmony tools section (spec §6.4),
// following the openai/harmony v0.0.8 renderer rule by rule, quirks included, because the model was
// trained on exactly this text (e.g. a string default on an enum is unquoted, an object-level
// description goes on a comment line before `{`, oneOf variants go one per line with ` | `).
import { HarmonyError, type JsonSchema } from './types.ts';

/**
 * Deepest schema nesting rendered. Each level indents its lines 4 more spaces, so the text of a
 * chain of n nested objects grows with n²; past this depth a schema is refused instead (the server
 * refuses deep schemas earlier, with its own configurable limit: --max-schema-depth).
 */
export const MAX_SCHEMA_DEPTH = 64;

const isObj = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);
const isEnum = (s: JsonSchema) => Array.isArray(s.enum) && s.enum.length > 0;
const json = (v: unknown) => JSON.stringify(v);

/** `// default: …` text: a string is quoted unless the schema is an enum. */
function defaultText(s: JsonSchema, quoteEnumString = false): string {
  const d = s.default;
  if (typeof d !== 'string') return `default: ${json(d)}`;
  return isEnum(s) && !quoteEnumString ? `default: ${d}` : `default: "${d}"`;
}

function withNull(s: JsonSchema, type: string): string {
  return s.nullable === true && !type.includes('null') ? `${type} | null` : type;
}

export function schemaToTs(schema: unknown, indent = '', depth = 0): string {
  if (!isObj(schema)) return 'any';
  if (depth > MAX_SCHEMA_DEPTH) throw new HarmonyError(`a JSON Schema is nested more than ${MAX_SCHEMA_DEPTH} levels deep`);
  if (Array.isArray(schema.oneOf)) return inlineOneOf(schema.oneOf, indent, depth);
  if (Array.isArray(schema.type)) {
    const types = schema.type.filter((t): t is string => typeof t === 'string');
    if (types.length) return types.map((t) => (t === 'integer' ? 'number' : t)).join(' | ');
  }
  switch (schema.type) {
    case 'object':
      return objectTs(schema, indent, depth);
    case 'string': {
      const values = Array.isArray(schema.enum) ? schema.enum.filter((v) => typeof v === 'string') : [];
      return values.length ? values.map((v) => `"${v}"`).join(' | ') : 'string';
    }
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return 'items' in schema ? `${schemaToTs(schema.items, indent, depth + 1)}[]` : 'Array<any>';
    default:
      return 'any';
  }
}

// A oneOf used as a whole type: each variant on its own ` | ` line with trailing comments. (Here
// harmony prints a string default of an enum variant quoted — unlike everywhere else.)
function inlineOneOf(variants: unknown[], indent: string, depth: number): string {
  let out = '';
  for (const v of variants) {
    const s = isObj(v) ? v : {};
    out += `\n${indent} | ${withNull(s, schemaToTs(s, `${indent}   `, depth + 1))}`;
    const notes: string[] = [];
    if (typeof s.description === 'string') notes.push(s.description);
    if ('default' in s) notes.push(defaultText(s, true));
    if (notes.length) out += ` // ${notes.join(' ')}`;
  }
  return out;
}

function objectTs(schema: JsonSchema, indent: string, depth: number): string {
  let out = typeof schema.description === 'string' ? `${indent}// ${schema.description}\n` : '';
  out += '{\n';
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  const props = isObj(schema.properties) ? schema.properties : {};
  for (const [key, raw] of Object.entries(props)) {
    const p = isObj(raw) ? raw : {};
    const name = `${indent}${key}${required.has(key) ? '' : '?'}`;
    if (typeof p.title === 'string') out += `${indent}// ${p.title}\n${indent}//\n`;
    if (!('oneOf' in p) && typeof p.description === 'string') out += `${indent}// ${p.description}\n`;
    if (Array.isArray(p.examples) && p.examples.length) {
      out += `${indent}// Examples:\n`;
      for (const ex of p.examples) if (typeof ex === 'string') out += `${indent}// - "${ex}"\n`;
    }
    if (Array.isArray(p.oneOf)) {
      out += propertyOneOf(p, p.oneOf, name, indent, depth);
      continue;
    }
    out += `${name}: ${withNull(p, schemaToTs(p, `${indent}    `, depth + 1))},`;
    if (!('oneOf' in p) && 'default' in p) out += ` // ${defaultText(p)}`;
    out += '\n';
  }
  return `${out}${indent}}`;
}

// A property whose schema is a oneOf: its description and default go above the name (the first
// variant's description is not repeated), then one ` | variant // notes` line per variant.
function propertyOneOf(p: JsonSchema, variants: unknown[], name: string, indent: string, depth: number): string {
  const desc = typeof p.description === 'string' ? p.description : undefined;
  const first = isObj(variants[0]) ? variants[0] : {};
  const descAbove = desc !== undefined && first.description !== desc;
  let out = descAbove ? `${indent}// ${desc}\n` : '';
  if ('default' in p) out += `${indent}// ${defaultText(p)}\n`;
  out += `${name}:\n`;
  variants.forEach((v, i) => {
    const s = isObj(v) ? v : {};
    out += `${indent} | ${withNull(s, schemaToTs(s, `${indent}   `, depth + 1))}`;
    const notes: string[] = [];
    if (!(i === 0 && descAbove) && typeof s.description === 'string' && s.description !== desc) notes.push(s.description);
    if ('default' in s) notes.push(defaultText(s));
    if (notes.length) out += ` // ${notes.join(' ')}`;
    out += '\n';
  });
  return `${out}${indent},\n`;
}
