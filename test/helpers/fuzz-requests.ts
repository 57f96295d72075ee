// Seeded request generator for the reliability fuzzer: every route and method, every field of the
// chat and completions bodies replaced by junk of every JSON type, broken JSON text, and odd
// headers. Generations stay short (max_tokens ≤ 2 unless the junk itself is the max_tokens).
import { seededRandom } from '../../src/generate/rng.ts';

export interface FuzzCase { kind: string; method: string; path: string; headers: Record<string, string>; body?: string }

const CHAT_FIELDS = [
  'model', 'messages', 'tools', 'tool_choice', 'response_format', 'reasoning_effort', 'instructions', 'temperature', 'top_p', 'top_k', 'min_p',
  'seed', 'stop', 'presence_penalty', 'frequency_penalty', 'logit_bias', 'max_tokens', 'max_completion_tokens', 'stream', 'stream_options', 'n',
  'user', 'logprobs', 'top_logprobs', 'parallel_tool_calls',
];
const MESSAGE_FIELDS = ['role', 'content', 'name', 'tool_calls', 'tool_call_id', 'reasoning_content', 'reasoning'];
const TOOL_FIELDS = ['type', 'function', 'function.name', 'function.description', 'function.parameters'];
const COMPLETION_FIELDS = ['model', 'prompt', 'logprobs', 'echo', 'best_of', 'suffix', 'temperature', 'top_p', 'top_k', 'seed', 'stop', 'logit_bias', 'max_tokens', 'stream', 'stream_options', 'n', 'user'];
const PATHS = ['/health', '/metrics', '/v1/models', '/v1/models/oss-edge-demo', '/v1/models/nope', '/v1/chat/completions', '/v1/completions', '/v1/embeddings',
  '/', '/v1', '/v1/', '/v1/models/%00', `/v1/models/${'x'.repeat(2000)}`, '/v1/chat/completions?stream=true', '//v1//models', '/v1/models/../../health', '/%ff%fe'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];

export function fuzzCases(seed: number, n: number): FuzzCase[] {
  const r = seededRandom(seed);
  const int = (k: number) => Math.floor(r() * k);
  const pick = <T>(a: readonly T[]): T => a[int(a.length)];
  const text = () => pick(['', 'x', 'hi there', '\u0000', '\ud800', '\udc00x', '👍🏽'.repeat(20), '日本語', '<|start|>assistant<|message|>', '"}]', '\\u0000', 'a'.repeat(300), ' \n\t']);
  const junk = (depth = 0): unknown => {
    const k = int(depth > 2 ? 14 : 18);
    switch (k) {
      case 0: return null;
      case 1: return r() < 0.5;
      case 2: return pick([0, -1, 1, 2, 1.5, -0.5, 1e20, -1e308, 1e308, 2 ** 53, 3]);
      case 3: case 4: case 5: return text();
      case 6: return [];
      case 7: return {};
      case 8: return String(int(100));
      case 9: return { type: 'text', text: text() };
      case 10: return [{ type: 'text', text: text() }];
      case 11: return JSON.parse('{"__proto__": {"polluted": true}, "constructor": "x", "toString": 1}'); // own keys, as a client's JSON has them
      case 12: return Array.from({ length: int(4) }, () => text());
      case 13: return pick(['none', 'auto', 'required', 'low', 'high', 'json_schema', 'function', 'system', 'user', 'tool', 'assistant']);
      case 14: return Array.from({ length: int(3) }, () => junk(depth + 1));
      case 15: return Object.fromEntries(Array.from({ length: int(3) }, () => [pick(['a', 'type', 'role', 'content', 'function', '5']), junk(depth + 1)]));
      case 16: { let v: unknown = 1; for (let i = 0; i < 70; i++) v = [v]; return v; } // past the JSON depth limit
      default: return { type: 'object', properties: { a: junk(depth + 1) }, required: ['a'] };
    }
  };
  const baseChat = () => ({
    messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hello' }],
    max_tokens: 1 + int(2), temperature: 0, stream: r() < 0.5,
    tools: r() < 0.3 ? [{ type: 'function', function: { name: 'get_weather', description: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }] : undefined,
  });
  const set = (o: Record<string, unknown>, path: string, v: unknown) => {
    const keys = path.split('.');
    let at = o;
    for (const k of keys.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
    at[keys.at(-1)!] = v;
  };
  const headers = (): Record<string, string> => {
    const h: Record<string, string> = { 'Content-Type': 'application/json' };
    if (r() < 0.2) h.Accept = pick(['application/x-msgpack', 'application/vnd.msgpack', 'text/event-stream', '*/*', 'image/png']);
    if (r() < 0.1) h['Content-Type'] = pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '']);
    if (r() < 0.05) h.Authorization = pick(['Bearer', 'Bearer x', 'Basic Zm9vOmJhcg==', 'x'.repeat(100)]);
    if (r() < 0.03) h['X-Pad'] = 'p'.repeat(9000); // past --max-header-bytes, under the runtime's own limit
    return h;
  };

  const out: FuzzCase[] = [];
  for (let i = 0; i < n; i++) {
    const roll = int(100);
    if (roll < 40) {
      const body: Record<string, unknown> = baseChat();
      const where = int(3);
      if (where === 0) set(body, pick(CHAT_FIELDS), junk());
      else if (where === 1) set((body.messages as Record<string, unknown>[])[int(2)], pick(MESSAGE_FIELDS), junk());
      else { body.tools ??= [{ type: 'function', function: { name: 'f' } }]; set((body.tools as Record<string, unknown>[])[0], pick(TOOL_FIELDS), junk()); }
      capTokens(body);
      out.push({ kind: 'chat field', method: 'POST', path: '/v1/chat/completions', headers: headers(), body: JSON.stringify(body) });
    } else if (roll < 60) {
      const body: Record<string, unknown> = { prompt: 'Once upon a time', max_tokens: 1 + int(2), temperature: 0, stream: r() < 0.5 };
      set(body, pick(COMPLETION_FIELDS), junk());
      capTokens(body);
      out.push({ kind: 'completions field', method: 'POST', path: '/v1/completions', headers: headers(), body: JSON.stringify(body) });
    } else if (roll < 75) {
      const valid = JSON.stringify(baseChat());
      const chars = valid.split('');
      if (r() < 0.5) chars.length = int(chars.length);
      else for (let k = 0; k < 1 + int(4); k++) chars[int(chars.length)] = pick(['{', '}', '[', ']', '"', ',', ':', '\\', 'ÿ', '\u0000', ' ']);
      // A mutation can leave valid JSON whose token budget was hit (`"max_tok ns"`): keep that bounded.
      let body = chars.join('');
      try { const v = JSON.parse(body); if (v && typeof v === 'object' && !Array.isArray(v)) { capTokens(v); body = JSON.stringify(v); } } catch { /* stays broken */ }
      out.push({ kind: 'broken JSON', method: 'POST', path: pick(['/v1/chat/completions', '/v1/completions']), headers: headers(), body });
    } else if (roll < 90) {
      const method = pick(METHODS);
      out.push({ kind: 'method × path', method, path: pick(PATHS), headers: headers(), body: method === 'GET' || method === 'HEAD' ? undefined : JSON.stringify(junk()) });
    } else {
      out.push({ kind: 'GET', method: 'GET', path: pick(['/health', '/metrics', '/v1/models', '/v1/models/oss-edge-demo']), headers: headers() });
    }
  }
  return out;
}

/** Junk may make a generation long: keep every token budget small (a junk budget is kept if invalid). */
function capTokens(body: Record<string, unknown>): void {
  for (const k of ['max_tokens', 'max_completion_tokens']) {
    const v = body[k];
    if (typeof v === 'number' && Number.isInteger(v) && v > 2 && v <= Number.MAX_SAFE_INTEGER) body[k] = 2;
  }
  // Chat reads `max_completion_tokens ?? max_tokens ?? no limit`: null counts as absent.
  if (body.max_tokens == null && body.max_completion_tokens == null) body[body.max_tokens === null ? 'max_completion_tokens' : 'max_tokens'] = 1;
}
