// The built-in o200k_harmony tokenizer (spec §5.1–5.4): tiktoken's o200k_base (ranks and the
// pre-tokenisation regex, compiled into its wasm, so nothing is downloaded at run time) plus the
// harmony specials 199998 … 201087 passed as extra special tokens (research/feasibility.md §7).
// Encoding only ever uses encode_ordinary: special tokens are inserted by id by the renderer.
import { get_encoding, type Tiktoken } from 'tiktoken';
import { checkId, decodeUtf8, encodeUtf8 } from './bytes.ts';
import { ENDOFPROMPT_ID, O200K_HARMONY_VOCAB, O200K_RANKS, o200kHarmonySpecialTexts, specialIdsAt } from './specials.ts';
import type { SpecialIds, Tokenizer } from './types.ts';

class O200kHarmony implements Tokenizer {
  readonly name = 'o200k_harmony';
  readonly vocabSize = O200K_HARMONY_VOCAB;
  readonly special: SpecialIds = specialIdsAt(O200K_RANKS);
  readonly #enc: Tiktoken;
  readonly #texts = o200kHarmonySpecialTexts();
  readonly #byText = new Map<string, number>();

  constructor() {
    const extra: Record<string, number> = {};
    for (const [id, text] of this.#texts) {
      this.#byText.set(text, id);
      // o200k_base already defines these two; a second name for one id would make decode ambiguous.
      if (id !== ENDOFPROMPT_ID && id !== this.special.endoftext) extra[text] = id;
    }
    this.#enc = get_encoding('o200k_base', extra);
  }

  encode(text: string): number[] {
    return Array.from(this.#enc.encode_ordinary(text));
  }

  tokenBytes(id: number): Uint8Array {
    checkId(id, this.vocabSize, this.name);
    const text = this.#texts.get(id);
    return text !== undefined ? encodeUtf8(text) : this.#enc.decode_single_token_bytes(id);
  }

  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    // Validate first: the wasm traps ("unreachable") on an unknown id and is unusable afterwards.
    for (let i = 0; i < ids.length; i++) checkId(ids[i], this.vocabSize, this.name);
    return this.#enc.decode(Uint32Array.from(ids));
  }

  decode(ids: ArrayLike<number>): string {
    return decodeUtf8(this.decodeBytes(ids));
  }

  isSpecial(id: number): boolean {
    return Number.isInteger(id) && id >= O200K_RANKS && id < this.vocabSize;
  }

  specialId(text: string): number | undefined {
    return this.#byText.get(text);
  }
}

let shared: O200kHarmony | undefined;

/** The process-wide o200k_harmony tokenizer (built on first use, ~0.5 s). */
export function o200kHarmony(): Tokenizer {
  return (shared ??= new O200kHarmony());
}
