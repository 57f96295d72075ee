// What `serve --model X` loads: a file or folder when X exists on disk, else a model name
// (`gpt-oss-20b`, `owner/repo[:FILE]`) found in the Hugging Face cache; with --pull a missing one is
// downloaded first, without it the error says the exact command that downloads it.
import { existsSync } from 'node:fs';
import { NotDownloadedError, resolveCached } from '../hub/cache.ts';
import { hubSettings } from '../hub/env.ts';
import { ALIASES, parseModelRef } from '../hub/names.ts';
import { pullWithProgress } from './pull.ts';

export class ModelArgError extends Error {}

/** `{ path, id }` to load; path null = the demo checkpoint. */
export async function resolveModelArg(arg: string | null, o: { pull?: boolean } = {}): Promise<{ path: string | null; id?: string }> {
  if (arg === null || existsSync(arg)) return { path: arg };
  const ref = parseModelRef(arg);
  if (!ref) throw new ModelArgError(`${arg} is not a file or folder, nor a model name (${Object.keys(ALIASES).join(', ')}, or a Hugging Face repo owner/name[:FILE])`);
  const { cacheDir } = hubSettings();
  try {
    return { path: resolveCached(ref, cacheDir).path, id: ref.name };
  } catch (e) {
    if (!(e instanceof NotDownloadedError)) throw e;
    if (!o.pull) throw new ModelArgError(`${e.message} (or add --pull to serve)`);
  }
  await pullWithProgress(ref);
  return { path: resolveCached(ref, cacheDir).path, id: ref.name };
}
