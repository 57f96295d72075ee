// Loads @mlc-ai/web-xgrammar (xgrammar compiled to wasm by emscripten; the wasm is inlined in the
// script as a data URI, so nothing is fetched). The package ships a UMD script marked as an ES
// module: Bun imports it, Deno refuses it (`require is not defined`). So it is read and run as the
// CommonJS module it is, with this module's `require`, on every runtime alike.
//
// A schema xgrammar cannot handle makes it print `[FATAL] file:line: reason` and abort (its build
// has no C++ exceptions): the call throws a RuntimeError("Aborted()"). The instance looks usable
// afterwards but is not: the abort skipped the C++ epilogues, so the wasm stack pointer stays where
// the failed call left it (and half-built objects stay on the heap); after a few aborts, deep
// compiles overflow and abort too (seen in the full test suite). So an aborted instance is
// discarded (`discardXGrammar`) and the next call loads a fresh one. The script gets its own
// `console`, so the reason is kept for the caller (`takeMessages`) rather than printed on stderr.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

/** The parts of the package used here (its own .d.ts has them as classes with private handles). */
export interface XGrammar {
  TokenizerInfo: { createTokenizerInfo(vocab: string[], vocabType: string, prependSpace: boolean, vocabSize: number, stopTokenIds: number[]): Promise<TokenizerInfoHandle> };
  GrammarCompiler: { createGrammarCompiler(info: TokenizerInfoHandle, cacheEnabled: boolean): Promise<CompilerHandle> };
  GrammarMatcher: { createGrammarMatcher(g: CompiledHandle, stopTokens: number[]): Promise<MatcherHandle> };
}
export interface TokenizerInfoHandle { dispose(): void }
export interface CompilerHandle {
  compileJSONSchema(schema: string, anyWhitespace: boolean, indent: number, separators: undefined, strict: boolean, maxWhitespace: number): Promise<CompiledHandle>;
  dispose(): void;
}
export interface CompiledHandle { dispose(): void }
export interface MatcherHandle {
  acceptToken(id: number): boolean;
  getNextTokenBitmask(): Promise<Int32Array>;
  isTerminated(): boolean;
  dispose(): void;
}

let loaded: XGrammar | undefined;
let messages: string[] = [];

/** What xgrammar printed since the last call (its abort reasons), path prefixes removed. */
export function takeMessages(): string[] {
  const got = messages.map((m) => m.replace(/^\[FATAL\]\s*\S+:\d+:\s*/, '').replace(/^Check failed: \(.*?\) is false: /, ''));
  messages = [];
  return got;
}

/** Forgets the current instance (after an abort); what still holds its objects keeps it alive. */
export function discardXGrammar(): void {
  loaded = undefined;
}

export function xgrammar(): XGrammar {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const file = require.resolve('@mlc-ai/web-xgrammar');
  const module = { exports: {} as Record<string, unknown> };
  const keep = (...parts: unknown[]) => { if (messages.push(parts.map(String).join(' ')) > 16) messages.shift(); };
  const quiet = { ...console, log: keep, error: keep, warn: keep };
  new Function('exports', 'module', 'require', '__filename', '__dirname', 'console', readFileSync(file, 'utf8'))(module.exports, module, require, file, dirname(file), quiet);
  loaded = module.exports as unknown as XGrammar;
  return loaded;
}
