// The harmony special-token layout (spec §5.4). o200k_harmony puts it at 199998 … 201087; the
// synthetic checkpoints in ../shared/golden keep the same relative layout at the end of a small
// vocab, which is why offsets (not ids) are the primary table here.
import type { SpecialIds, SpecialName } from './types.ts';

/** Offset of each functional special from the first special id, with its literal text. */
export const HARMONY_SPECIALS: ReadonlyArray<{ name: SpecialName; offset: number; text: string }> = [
  { name: 'startoftext', offset: 0, text: '<|startoftext|>' },
  { name: 'endoftext', offset: 1, text: '<|endoftext|>' },
  { name: 'return', offset: 4, text: '<|return|>' },
  { name: 'constrain', offset: 5, text: '<|constrain|>' },
  { name: 'channel', offset: 7, text: '<|channel|>' },
  { name: 'start', offset: 8, text: '<|start|>' },
  { name: 'end', offset: 9, text: '<|end|>' },
  { name: 'message', offset: 10, text: '<|message|>' },
  { name: 'call', offset: 14, text: '<|call|>' },
];

export const O200K_RANKS = 199_998; //      ordinary BPE tokens, ids 0 … 199997 (spec §5.1)
export const O200K_HARMONY_VOCAB = 201_088; // embedding rows of gpt-oss (spec §1.1)
/** o200k_base already names 200018 `<|endofprompt|>`; tiktoken's o200k_harmony keeps that name. */
export const ENDOFPROMPT_ID = 200_018;

export function specialText(name: SpecialName): string {
  return HARMONY_SPECIALS.find((s) => s.name === name)!.text;
}

/** Special ids for a vocab whose specials start at `base`. */
export function specialIdsAt(base: number): SpecialIds {
  const ids = {} as Record<SpecialName, number>;
  for (const s of HARMONY_SPECIALS) ids[s.name] = base + s.offset;
  return ids;
}

/** Literal text of every special id in o200k_harmony (functional names, else reserved_N). */
export function o200kHarmonySpecialTexts(): Map<number, string> {
  const texts = new Map<number, string>();
  for (let id = O200K_RANKS; id < O200K_HARMONY_VOCAB; id++) texts.set(id, `<|reserved_${id}|>`);
  for (const s of HARMONY_SPECIALS) texts.set(O200K_RANKS + s.offset, s.text);
  texts.set(ENDOFPROMPT_ID, '<|endofprompt|>');
  return texts;
}
