// The o200k pre-tokenisation pattern (spec §5.2) as a JavaScript regex, for the checkpoint BPE
// (bpe.ts; GGUF `tokenizer.ggml.pre = "gpt-4o"`). The built-in tokenizer does not use it: tiktoken
// runs the original pattern in Rust. The test suite checks the two split text identically.
//
// Two translations (spec §5.2 "JavaScript notes"):
// * `(?i:'s|'t|…)` is not valid JS: expanded by hand; `ſ` (U+017F) is in the `s` class because
//   Rust's case-insensitive `s` matches it (simple case folding).
// * JS `\s` is not Unicode White_Space (it has U+FEFF, lacks U+0085): spelled out as WS below.

const WS = '\\t-\\r \\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000';
const CONTRACTION = "(?:'[sSſ]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?";
const UPPERISH = '[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]';
const LOWERISH = '[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]';
const NOT_CRLF_LN = '[^\\r\\n\\p{L}\\p{N}]';

const BRANCHES = [
  `${NOT_CRLF_LN}?${UPPERISH}*${LOWERISH}+${CONTRACTION}`, //  1 words ending lower-case
  `${NOT_CRLF_LN}?${UPPERISH}+${LOWERISH}*${CONTRACTION}`, //  2 words in upper case
  '\\p{N}{1,3}', //                                              3 numbers, three digits at a time
  ` ?[^${WS}\\p{L}\\p{N}]+[\\r\\n/]*`, //                       4 punctuation runs
  `[${WS}]*[\\r\\n]+`, //                                         5 newlines with leading space
  `[${WS}]+(?![^${WS}])`, //                                      6 trailing whitespace
  `[${WS}]+`, //                                                  7 other whitespace
];

export const O200K_PATTERN = new RegExp(BRANCHES.join('|'), 'gu');

/** Splits text into o200k pre-tokens (lone surrogates first become U+FFFD, like UTF-8 encoding). */
export function pretokenize(text: string): string[] {
  return text.toWellFormed().match(O200K_PATTERN) ?? [];
}
