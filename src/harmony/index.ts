export * from './types.ts';
export { renderConversation, renderForCompletion, renderMessage, type ConversationOptions } from './render.ts';
export { systemContent, systemText, developerText } from './content.ts';
export { BROWSER_TOOL, PYTHON_TOOL } from './builtin-tools.ts';
export { schemaToTs } from './schema-ts.ts';
export { renderChat, chatToHarmony, type ChatRenderOptions, type RenderedPrompt } from './chat.ts';
export { parseChatRequest, ChatRequestSchema, type ChatRequest, type ChatMessage } from './chat-schema.ts';
