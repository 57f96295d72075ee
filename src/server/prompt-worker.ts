// Worker thread that turns large requests into prompt ids (prompts.ts sends them here), so a
// megabyte of text or a deep tool schema never holds the server's event loop: /health, /metrics
// and running streams keep answering meanwhile. Messages: {init: recipe} once, then jobs
// {id, chat | text} answered {id, ids} or {id, error, harmony}.
import { chatToHarmony, HarmonyError, renderForCompletion, type ChatRequest } from '../harmony/index.ts';
import { fromRecipe, type Tokenizer, type TokenizerRecipe } from '../tokenizer/index.ts';

export type PromptJob = { id: number; chat: ChatRequest } | { id: number; text: string };
export type PromptReply = { id: number; ids: Uint32Array } | { id: number; error: string; harmony: boolean };

declare const self: { onmessage: ((e: MessageEvent) => void) | null; postMessage(m: unknown, transfer?: Transferable[]): void };

let tok: Tokenizer | undefined;

// A megabyte of text leaves tens of megabytes of short-lived arrays in this thread's heap, which the
// main thread's collector (memory.ts) does not reach: collect here, after the answer is sent, off
// the event loop. Bun only (a guarded capability check; elsewhere the runtime's own heuristics).
const collect = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun?.gc;
const COLLECT_AFTER = 256 << 10;

self.onmessage = (e: MessageEvent) => {
  const m = e.data as { init: TokenizerRecipe } | PromptJob;
  if ('init' in m) { tok = fromRecipe(m.init); return; }
  try {
    const list = 'chat' in m ? renderForCompletion(tok!, chatToHarmony(m.chat)) : tok!.encode(m.text);
    const ids = Uint32Array.from(list);
    self.postMessage({ id: m.id, ids } satisfies PromptReply, [ids.buffer]);
  } catch (err) {
    self.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err), harmony: err instanceof HarmonyError } satisfies PromptReply);
  }
  if (collect && ('text' in m ? m.text.length : JSON.stringify(m.chat).length) > COLLECT_AFTER) collect(true);
};
