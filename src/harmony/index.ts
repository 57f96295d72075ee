// Harmony floor (above tokenizer/, below generate/ and server/): the gpt-oss chat format, spec §6.
// Every control token comes from the Tokenizer passed in, so any vocab works. API:
//   parseChatRequest(body)            untrusted OpenAI chat-completions JSON → ChatRequest (zod; errors
//                                     name the field) — messages, tools, reasoning_effort,
//                                     response_format, instructions
//   renderChat(tok, req, opts)        → { ids, text, messages }: the prompt ending `<|start|>assistant`
//                                     (opts: currentDate, knowledgeCutoff, modelIdentity, builtinTools)
//   renderForCompletion / renderConversation / renderMessage
//                                     the harmony-level renderer (HarmonyMessage, systemContent(),
//                                     DeveloperContent) that reproduces the openai/harmony fixtures
//   new HarmonyParser(tok).push(ids) / .finish()
//                                     sampled ids → events: reasoning / content / preamble deltas,
//                                     tool-call + tool-args, message, done(stop|tool_calls|length)
//   stopTokens(tok)                   [<|return|>, <|call|>] — sampling stops, never <|end|>
//   modelHeaderIds / renderedHeaderIds / assistantStartIds
//                                     header token runs a constrained generation forces (headers.ts)
export * from './types.ts';
export { renderConversation, renderForCompletion, renderMessage, type ConversationOptions } from './render.ts';
export { systemContent, systemText, developerText } from './content.ts';
export { BROWSER_TOOL, PYTHON_TOOL } from './builtin-tools.ts';
export { schemaToTs } from './schema-ts.ts';
export { renderChat, chatToHarmony, type ChatRenderOptions, type RenderedPrompt } from './chat-prompt.ts';
export { parseChatRequest, ChatRequestSchema, ToolName, type ChatRequest, type ChatMessage } from './chat-schema.ts';
export { HarmonyParser, type HarmonyEvent, type ParsedMessage, type FinishReason, type MessageKind, type ParserOptions } from './parse.ts';
export { parseHeader, type Header } from './header.ts';
export { stopTokens } from './stop-tokens.ts';
export { assistantStartIds, modelHeaderIds, renderedHeaderIds, type AssistantHeader } from './headers.ts';
