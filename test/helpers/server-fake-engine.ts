// A scripted engine for scheduler tests: the logits make token (last·7 + position) mod V the clear
// favourite, so every request's greedy continuation is known in advance and depends on its own
// history only. `delayMs` turns each forward pass into a real wait; with a `gate` (helpers/gate.ts)
// each forward pass waits until the test lets it through.
import { stepEach, type EngineSession, type LanguageModel } from '../../src/generate/index.ts';
import type { Gate } from './gate.ts';

export function fakeModel(V = 64, maxBatch = 4, delayMs = 0, gate?: Gate): LanguageModel & { evals: number[][]; steps: number[][] } {
  const evals: number[][] = [], steps: number[][] = [];
  return {
    vocabSize: V, maxBatch, evals, steps,
    /** Records each pass as the token counts of its sessions, then evaluates them in turn. */
    step(batch) {
      if (batch.reduce((n, b) => n + b.ids.length, 0) > maxBatch) throw new RangeError('past maxBatch');
      steps.push(batch.map((b) => b.ids.length));
      return stepEach(batch);
    },
    newSession(context: number): EngineSession {
      let position = 0;
      let last = 0;
      return {
        get position() { return position; },
        async eval(ids) {
          if (position + ids.length > context) throw new RangeError('past the context');
          evals.push(Array.from(ids));
          if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
          if (gate) await gate.pass();
          position += ids.length;
          last = ids[ids.length - 1];
          const row = new Float32Array(V);
          row[expectedNext(last, position, V)] = 10;
          return row;
        },
        rewind(p) { position = p; return true; },
        save() { const at = { position, last }; return { length: position, bytes: 8 * position + 8, release() {}, at }; },
        restore(s) { ({ position, last } = (s as unknown as { at: { position: number; last: number } }).at); },
      };
    },
  };
}

/** The token the fake model favours after `last` when `position` tokens are in the cache. */
export function expectedNext(last: number, position: number, V = 64): number {
  return (last * 7 + position) % V;
}

export function expectedGreedy(prompt: number[], n: number, V = 64): number[] {
  const out: number[] = [];
  let last = prompt[prompt.length - 1], pos = prompt.length;
  for (let i = 0; i < n; i++) { last = expectedNext(last, pos, V); out.push(last); pos++; }
  return out;
}
