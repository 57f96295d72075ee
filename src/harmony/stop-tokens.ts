// Stop tokens for sampling (spec §6.5, §9 item 14): <|return|> ends the final answer, <|call|> a
// tool call. <|end|> only separates messages (stopping on it cuts the answer off after the
// analysis), and <|endoftext|> is left to the sampler's own EOS handling.
import type { Tokenizer } from '../tokenizer/index.ts';

export function stopTokens(tok: Tokenizer): number[] {
  return [tok.special.return, tok.special.call];
}
