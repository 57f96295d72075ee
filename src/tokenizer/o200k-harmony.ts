// The built-in o200k_harmony tokenizer (spec §5.1–5.4): o200k_base's ranks (o200k-ranks.ts, from
// the pinned tiktoken package's data file, so nothing is downloaded at run time) plus the harmony
// specials 199998 … 201087. Encoding never yields a special: the renderer inserts them by id.
//
// Written in TypeScript rather than calling tiktoken's wasm `encode_ordinary`, which is quadratic
// in the length of a run without spaces (openai/tiktoken#195) and traps ("unreachable") on about
// 1 MB of text, leaving an instance in an unknown state and its grown memory behind. Here the
// pre-tokeniser is our JS port of the o200k pattern (pretokenize.ts) and each pre-token is merged
// in O(n log n) (merge.ts); ids equal tiktoken's (test/tokenizer-linear.test.ts). Nothing here is
// wasm, so nothing can trap, and a request's garbage is ordinary collectable memory.
import { checkId, decodeUtf8, encodeUtf8 } from './bytes.ts';
import { mergeByRank } from './merge.ts';
import { binaryUtf8, loadO200kRanks, rankOf, type O200kRanks } from './o200k-ranks.ts';
import { pretokenize } from './pretokenize.ts';
import { O200K_HARMONY_VOCAB, O200K_RANKS, o200kHarmonySpecialTexts, specialIdsAt } from './specials.ts';
import { TokenizerError, type SpecialIds, type Tokenizer } from './types.ts';

class O200kHarmony implements Tokenizer {
  readonly name = 'o200k_harmony';
  readonly vocabSize = O200K_HARMONY_VOCAB;
  readonly special: SpecialIds = specialIdsAt(O200K_RANKS);
  readonly maxTokenBytes: number;
  readonly #r: O200kRanks;
  readonly #texts = o200kHarmonySpecialTexts();
  readonly #specialBytes = new Map<number, Uint8Array>();
  readonly #byText = new Map<string, number>();

  constructor() {
    this.#r = loadO200kRanks();
    if (this.#r.count !== O200K_RANKS) throw new TokenizerError(`o200k_base has ${this.#r.count} ranks, expected ${O200K_RANKS}`);
    for (const [id, text] of this.#texts) {
      this.#byText.set(text, id);
      this.#specialBytes.set(id, encodeUtf8(text));
    }
    this.maxTokenBytes = Math.max(this.#r.maxBytes, ...[...this.#specialBytes.values()].map((b) => b.length));
  }

  encode(text: string): number[] {
    const out: number[] = [];
    const r = this.#r;
    for (const piece of pretokenize(text)) {
      const bin = binaryUtf8(piece);
      const whole = bin.length <= r.maxBytes ? rankOf(r, bin, 0, bin.length) : -1;
      if (whole >= 0) { out.push(whole); continue; }
      const starts = mergeByRank(bin.length, (a, _m, b) => (b - a > r.maxBytes ? -1 : rankOf(r, bin, a, b)));
      for (let k = 0; k < starts.length; k++) out.push(rankOf(r, bin, starts[k], k + 1 < starts.length ? starts[k + 1] : bin.length));
    }
    return out;
  }

  tokenBytes(id: number): Uint8Array {
    checkId(id, this.vocabSize, this.name);
    if (id >= O200K_RANKS) return this.#specialBytes.get(id)!.slice();
    return this.#r.bytes.slice(this.#r.offsets[id], this.#r.offsets[id + 1]);
  }

  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    let n = 0;
    for (let i = 0; i < ids.length; i++) n += this.#length(ids[i]);
    const out = new Uint8Array(n);
    let at = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id >= O200K_RANKS) out.set(this.#specialBytes.get(id)!, at);
      else out.set(this.#r.bytes.subarray(this.#r.offsets[id], this.#r.offsets[id + 1]), at);
      at += this.#length(id);
    }
    return out;
  }

  #length(id: number): number {
    checkId(id, this.vocabSize, this.name);
    return id >= O200K_RANKS ? this.#specialBytes.get(id)!.length : this.#r.offsets[id + 1] - this.#r.offsets[id];
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

/** The process-wide o200k_harmony tokenizer (built on first use). */
export function o200kHarmony(): Tokenizer {
  return (shared ??= new O200kHarmony());
}
