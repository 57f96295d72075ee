// The messages between a weight upload and its reader threads (fill-worker.ts), and the error a
// reply carries rebuilt on the calling side — a ModelLoadError stays one (file, tensor, problem).
import { ModelLoadError } from '../model/types.ts';

interface Job { id: number; path: string; name: string; requant: boolean; bytes: number }
export type FillRequest =
  | (Job & { t: 'fill'; buf: ArrayBuffer })
  | (Job & { t: 'fill-at'; memory: SharedArrayBuffer; offset: number })
  | { t: 'close' };
/** `buf`: the 'fill' buffer coming back; `load`: a ModelLoadError's fields. */
export type FillReply = { id: number; buf?: ArrayBuffer; error?: string; load?: { file: string; tensor: string | null; problem: string } };

/** What stopped a job, or null when it landed. */
export function replyError(r: FillReply): Error | null {
  if (r.error === undefined) return null;
  return r.load ? new ModelLoadError(r.load.file, r.load.tensor, r.load.problem) : new Error(r.error);
}
