// A byte-level BPE built from a checkpoint's own vocabulary (token strings in the GPT-2 byte
// alphabet + a ranked merge list), so synthetic checkpoints with small vocabs (../shared/golden)
// tokenize through their own data. Merge semantics are the classic GPT-2/llama.cpp ones: within
// each o200k pre-token, repeatedly apply the listed merge of lowest rank (leftmost on ties).
// The real o200k_harmony never takes this path (for-checkpoint.ts picks the built-in one).
import { bytesToByteLevel, byteLevelToBytes } from './byte-level.ts';
import { checkId, concatBytes, decodeUtf8, encodeUtf8 } from './bytes.ts';
import { mergeByRank } from './merge.ts';
import { pretokenize } from './pretokenize.ts';
import { HARMONY_SPECIALS } from './specials.ts';
import { TokenizerError, type SpecialIds, type SpecialName, type Tokenizer } from './types.ts';

export interface BpeVocab {
  /** For error messages and Tokenizer.name: 'gguf-bpe', 'tokenizer.json-bpe'. */
  name: string;
  /** Token strings by id (byte-level alphabet for ordinary tokens, literal text for specials). */
  tokens: readonly string[];
  /** Merges by rank: "left right" (GGUF, older tokenizer.json) or [left, right]. */
  merges: ReadonlyArray<string | readonly [string, string]>;
  /** Which ids are specials (control / reserved / unused). */
  isSpecial: (id: number) => boolean;
  /** tokenizer.json `ignore_merges`: a pre-token that is itself a token is emitted directly. */
  ignoreMerges?: boolean;
}

export class ByteLevelBpe implements Tokenizer {
  readonly name: string;
  readonly vocabSize: number;
  readonly special: SpecialIds;
  readonly maxTokenBytes: number;
  /** What built it, for a worker to build the same (recipe.ts). */
  readonly vocab: BpeVocab;
  readonly #ids = new Map<string, number>(); //  ordinary token string → id
  readonly #specials = new Map<string, number>(); // special literal text → id
  readonly #rank = new Map<string, number>(); //  "left right" → merge rank
  readonly #bytes: Uint8Array[];
  readonly #isSpecial: (id: number) => boolean;
  readonly #ignoreMerges: boolean;

  constructor(v: BpeVocab) {
    this.vocab = v;
    this.name = v.name;
    this.vocabSize = v.tokens.length;
    this.#isSpecial = v.isSpecial;
    this.#ignoreMerges = v.ignoreMerges ?? false;
    this.#bytes = v.tokens.map((t, id) => {
      if (v.isSpecial(id)) {
        this.#specials.set(t, id);
        return encodeUtf8(t);
      }
      this.#ids.set(t, id);
      const bytes = byteLevelToBytes(t);
      if (!bytes) throw new TokenizerError(`${v.name}: token ${id} ${JSON.stringify(t)} is not in the byte-level alphabet`);
      return bytes;
    });
    this.maxTokenBytes = Math.max(...this.#bytes.map((b) => b.length));
    for (let b = 0; b < 256; b++) {
      const c = bytesToByteLevel(Uint8Array.of(b));
      if (!this.#ids.has(c)) throw new TokenizerError(`${v.name}: no token for byte 0x${b.toString(16).padStart(2, '0')} (not a byte-level BPE vocab)`);
    }
    v.merges.forEach((m, rank) => {
      const key = typeof m === 'string' ? m : `${m[0]} ${m[1]}`;
      // Byte-level token strings never contain a space (0x20 is spelled Ġ), so it separates the pair.
      // A merge whose result is not a token would lose bytes: it is left out.
      if (!this.#ids.has(key.replace(' ', '')) || this.#rank.has(key)) return;
      this.#rank.set(key, rank);
    });
    const ids = {} as Record<SpecialName, number>;
    for (const s of HARMONY_SPECIALS) {
      const id = this.#specials.get(s.text);
      if (id === undefined) throw new TokenizerError(`${v.name}: the vocab has no harmony special token ${s.text}`);
      ids[s.name] = id;
    }
    this.special = ids;
  }

  encode(text: string): number[] {
    const out: number[] = [];
    for (const piece of pretokenize(text)) {
      const word = bytesToByteLevel(encodeUtf8(piece));
      const whole = this.#ignoreMerges ? this.#ids.get(word) : undefined;
      if (whole !== undefined) out.push(whole);
      else for (const sym of this.#merge(word)) out.push(this.#ids.get(sym)!);
    }
    return out;
  }

  // O(n log n) in the pre-token length (merge.ts): a run without spaces can be a whole request.
  #merge(word: string): string[] {
    const starts = mergeByRank(word.length, (a, m, b) => this.#rank.get(`${word.slice(a, m)} ${word.slice(m, b)}`) ?? -1);
    return starts.map((a, k) => word.slice(a, k + 1 < starts.length ? starts[k + 1] : word.length));
  }

  tokenBytes(id: number): Uint8Array {
    checkId(id, this.vocabSize, this.name);
    return this.#bytes[id];
  }

  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < ids.length; i++) parts.push(this.tokenBytes(ids[i]));
    return concatBytes(parts);
  }

  decode(ids: ArrayLike<number>): string {
    return decodeUtf8(this.decodeBytes(ids));
  }

  isSpecial(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.vocabSize && this.#isSpecial(id);
  }

  specialId(text: string): number | undefined {
    return this.#specials.get(text);
  }
}
