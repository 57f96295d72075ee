// Agreement checks between a real gpt-oss checkpoint's own tokenizer data and the built-in
// o200k_harmony (spec §5.4, §5.5, §7.2). Checked: the functional special ids, the vocab size, and
// the spelling of a sample of ranks (the byte tokens, words the harmony renderer emits, the last
// rank) — enough to catch a different vocab or a shifted special layout without reading 200k rows.
import { bytesToByteLevel } from './byte-level.ts';
import { o200kHarmony } from './o200k-harmony.ts';
import { HARMONY_SPECIALS, O200K_HARMONY_VOCAB, O200K_RANKS } from './specials.ts';
import { TokenizerError } from './types.ts';

export interface TokenizerJson {
  model?: { type?: string; vocab?: Record<string, number>; merges?: unknown[]; ignore_merges?: boolean };
  added_tokens?: Array<{ id: number; content: string; special?: boolean }>;
}

// 0/255: byte tokens; 13225 "Hello"; 17360/77944/1428/173781: role names; 35644/17196/12606:
// channel words; 199997: the last rank.
const SAMPLE_IDS = [0, 255, 13225, 17360, 77944, 1428, 173781, 35644, 17196, 12606, 199997];

function fail(source: string, problems: string[]): never {
  const more = problems.length > 4 ? ` (and ${problems.length - 4} more)` : '';
  throw new TokenizerError(`${source} disagrees with the built-in o200k_harmony tokenizer: ${problems.slice(0, 4).join('; ')}${more}`);
}

/** [id, byte-level spelling] of the sample ranks in the built-in tokenizer. */
function sampleSpellings(): Array<[number, string]> {
  const tok = o200kHarmony();
  return SAMPLE_IDS.map((id) => [id, bytesToByteLevel(tok.tokenBytes(id))]);
}

export function verifyTokenizerJson(json: TokenizerJson, source: string): void {
  const special = o200kHarmony().special;
  const added = json.added_tokens ?? [];
  const idOf = new Map(added.map((a) => [a.content, a.id]));
  const textAt = new Map(added.map((a) => [a.id, a.content]));
  const problems: string[] = [];
  for (const s of HARMONY_SPECIALS) {
    const want = special[s.name];
    const got = idOf.get(s.text);
    if (got === undefined) problems.push(`special token ${s.text} is missing (built-in id ${want})`);
    else if (got !== want) problems.push(`special token ${s.text} has id ${got}, the built-in has ${want}`);
    else if (textAt.get(want) !== s.text) problems.push(`id ${want} is ${JSON.stringify(textAt.get(want))}, the built-in has ${s.text}`);
  }
  if (problems.length) fail(source, problems);
  const vocab = json.model?.vocab ?? {};
  const n = Object.keys(vocab).length;
  const maxId = Math.max(...added.map((a) => a.id));
  if (n !== O200K_RANKS) fail(source, [`its BPE vocab has ${n} tokens, o200k has ${O200K_RANKS}`]);
  if (maxId >= O200K_HARMONY_VOCAB) fail(source, [`added token id ${maxId} is past the ${O200K_HARMONY_VOCAB}-row vocab`]);
  const wrong = sampleSpellings()
    .filter(([id, s]) => vocab[s] !== id)
    .map(([id, s]) => `${JSON.stringify(s)} should be id ${id}, found ${vocab[s]}`);
  if (wrong.length) fail(source, wrong);
}

export function verifyGgufVocab(meta: Record<string, unknown>): void {
  const source = 'GGUF tokenizer metadata';
  const tokens = meta['tokenizer.ggml.tokens'];
  if (!Array.isArray(tokens)) throw new TokenizerError(`${source}: tokenizer.ggml.tokens is not an array`);
  const pre = meta['tokenizer.ggml.pre'];
  if (pre !== undefined && pre !== 'gpt-4o') fail(source, [`tokenizer.ggml.pre is ${JSON.stringify(pre)}, o200k is "gpt-4o"`]);
  const special = o200kHarmony().special;
  // llama.cpp's gpt-oss GGUFs list all 201088 rows; the functional specials end at 200018.
  if (tokens.length > O200K_HARMONY_VOCAB || tokens.length <= special.call) {
    fail(source, [`it has ${tokens.length} tokens, gpt-oss has ${O200K_HARMONY_VOCAB}`]);
  }
  const problems: string[] = [];
  for (const s of HARMONY_SPECIALS) {
    const want = special[s.name];
    if (tokens[want] === s.text) continue;
    const at = tokens.indexOf(s.text);
    problems.push(`special token ${s.text} ${at >= 0 ? `has id ${at}` : 'is missing'}, the built-in has ${want}`);
  }
  if (problems.length) fail(source, problems);
  const wrong = sampleSpellings()
    .filter(([id, s]) => tokens[id] !== s)
    .map(([id, s]) => `id ${id} should be ${JSON.stringify(s)}, found ${JSON.stringify(tokens[id])}`);
  if (wrong.length) fail(source, wrong);
}
