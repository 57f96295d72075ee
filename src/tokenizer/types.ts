// The one tokenizer contract the rest of oss-edge sees (harmony/, generate/, server/). Two
// implementations: the built-in o200k_harmony (o200k-harmony.ts) and a byte-level BPE built from a
// checkpoint's own vocab (bpe.ts), chosen by for-checkpoint.ts.

/** The harmony control tokens by role (spec §5.4); their ids differ between vocabularies. */
export type SpecialName =
  | 'startoftext'
  | 'endoftext'
  | 'return'
  | 'constrain'
  | 'channel'
  | 'start'
  | 'end'
  | 'message'
  | 'call';

export type SpecialIds = Readonly<Record<SpecialName, number>>;

export interface Tokenizer {
  /** 'o200k_harmony', or 'gguf-bpe' / 'tokenizer.json-bpe' for a checkpoint's own vocab. */
  readonly name: string;
  /** Number of ids this tokenizer can decode (0 … vocabSize-1). */
  readonly vocabSize: number;
  /** Harmony control-token ids by name. */
  readonly special: SpecialIds;
  /** Longest token in bytes: text of B bytes never takes fewer than B / maxTokenBytes tokens. */
  readonly maxTokenBytes: number;
  /**
   * Ordinary text → ids. Special-token strings in `text` stay plain text (`<|start|>` typed by a
   * user is 7 ordinary tokens, never 200006): spec §5.3, §5.5 security note. Lone surrogates are
   * encoded as U+FFFD, as any UTF-8 encoder does.
   */
  encode(text: string): number[];
  /** The raw bytes of one token; a special token gives its literal text. Throws on a bad id. */
  tokenBytes(id: number): Uint8Array;
  /** Concatenated token bytes. Throws TokenizerError on an id outside the vocab. */
  decodeBytes(ids: ArrayLike<number>): Uint8Array;
  /** decodeBytes as UTF-8 text; invalid sequences become U+FFFD. */
  decode(ids: ArrayLike<number>): string;
  /** True for control/reserved tokens (everything that is not ordinary BPE). */
  isSpecial(id: number): boolean;
  /** The id of a special token given its literal text ('<|start|>'), if this vocab has it. */
  specialId(text: string): number | undefined;
}

/** A tokenizer problem: a bad id, or a checkpoint tokenizer that cannot be used. */
export class TokenizerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenizerError';
  }
}
