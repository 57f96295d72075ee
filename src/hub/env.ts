// Hugging Face settings from the environment variables huggingface_hub reads, so a cache and a
// login shared with `hf download` / `huggingface-cli` are found:
//   HF_ENDPOINT (default https://huggingface.co), HF_TOKEN (else the token `hf auth login` saved
//   in $HF_HOME/token or HF_TOKEN_PATH), HF_HUB_CACHE / HF_HOME (read by @huggingface/hub).
import { getHFHubCachePath, HUB_URL } from '@huggingface/hub';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface HubSettings {
  endpoint: string;
  token?: string;
  cacheDir: string;
}

/** From process.env (the library reads the cache variables there itself). */
export function hubSettings(): HubSettings {
  const env = process.env;
  const token = env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || savedToken(env);
  return {
    endpoint: (env.HF_ENDPOINT || HUB_URL).replace(/\/+$/, ''),
    ...(token ? { token } : {}),
    cacheDir: getHFHubCachePath(),
  };
}

function savedToken(env: Record<string, string | undefined>): string | undefined {
  const home = env.HF_HOME || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface');
  const path = env.HF_TOKEN_PATH || join(home, 'token');
  return existsSync(path) ? readFileSync(path, 'utf8').trim() || undefined : undefined;
}
