// Model names as users type them: short names (`gpt-oss-20b`, or Ollama's `gpt-oss:20b`) and
// Hugging Face references `owner/repo[:FILE]` as llama-server's `-hf` takes them, where FILE is a
// path in the repo or a quant tag (`Q8_0`) choosing among its GGUF files (select.ts).

export interface ModelRef {
  /** What the user typed, normalised: also the model id the server announces. */
  name: string;
  /** `owner/repo` on the hub. */
  repo: string;
  /** A file or folder path in the repo, or a quant tag; undefined: the default choice. */
  file?: string;
}

/**
 * The short names. gpt-oss-20b is ggml-org's GGUF (MXFP4 experts, Q8_0 dense: 12.1 GB, the file
 * the benchmark measures). For 120b ggml-org publishes split GGUF files, which the loader does not
 * read: openai's safetensors repo instead.
 */
export const ALIASES: Record<string, { repo: string; about: string }> = {
  'gpt-oss-20b': { repo: 'ggml-org/gpt-oss-20b-GGUF', about: 'gpt-oss-20b, MXFP4 experts + Q8_0 dense (12.1 GB)' },
  'gpt-oss-120b': { repo: 'openai/gpt-oss-120b', about: 'gpt-oss-120b, OpenAI safetensors (65 GB)' },
};

const REPO = /^([A-Za-z0-9][\w.-]{0,95})\/([A-Za-z0-9][\w.-]{0,95})(?::(.+))?$/;
const PREFIXES = [/^https?:\/\/(www\.)?(huggingface\.co|hf\.co)\//i, /^(huggingface\.co|hf\.co)\//i];

/** The reference `s` names, or null when it is not a model name (a file path, say). */
export function parseModelRef(s: string): ModelRef | null {
  let t = s.trim();
  const alias = ALIASES[t.toLowerCase().replace(/^gpt-oss:(\d+b)$/, 'gpt-oss-$1')];
  if (alias) return { name: t.toLowerCase().replace(':', '-'), repo: alias.repo };
  for (const p of PREFIXES) t = t.replace(p, '');
  const m = REPO.exec(t);
  if (!m || m[2].endsWith('.') || m[1].includes('..') || m[2].includes('..')) return null;
  const file = m[3]?.replace(/^\/+|\/+$/g, '');
  return { name: t, repo: `${m[1]}/${m[2]}`, ...(file ? { file } : {}) };
}

/** The command that downloads `name` (what `serve` tells a user whose model is missing). */
export function pullCommand(name: string): string {
  return `npx bun src/cli.ts pull ${/^[\w./:@-]+$/.test(name) ? name : `'${name}'`}`;
}

/** The short name for `repo` when it has one (for `list`). */
export function aliasOf(repo: string): string | undefined {
  return Object.entries(ALIASES).find(([, a]) => a.repo.toLowerCase() === repo.toLowerCase())?.[0];
}
