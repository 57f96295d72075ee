// Chat events → the pieces of an Ollama reply: content, thinking, and tool calls with their
// arguments as a JSON object (Ollama sends a call whole, once its arguments are complete: at the
// next call or at the finish). Arguments that are not a JSON object (an unconstrained model's slip)
// are passed on as the text they are rather than dropped.
import type { ChatEvent } from '../../generate/index.ts';

export interface OllamaToolCall { id: string; function: { index: number; name: string; arguments: Record<string, unknown> | string } }
export interface Piece { content: string; thinking?: string; tool_calls?: OllamaToolCall[] }

export class ReplyPieces {
  content = '';
  thinking = '';
  calls: OllamaToolCall[] = [];
  finish = 'stop';
  #open: { id: string; index: number; name: string; args: string } | null = null;

  /** The piece `e` adds (null: nothing to send yet). */
  add(e: ChatEvent): Piece | null {
    switch (e.type) {
      case 'reasoning': this.thinking += e.text; return { content: '', thinking: e.text };
      case 'content': this.content += e.text; return e.text ? { content: e.text } : null;
      case 'tool-call': {
        const done = this.#close();
        this.#open = { id: e.id, index: e.index, name: e.name, args: '' };
        return done;
      }
      case 'tool-args': if (this.#open) this.#open.args += e.text; return null;
      case 'finish': this.finish = e.reason; return this.#close();
    }
  }

  /** Everything, as one piece (non-streamed replies). */
  whole(): Piece {
    return { content: this.content, ...(this.thinking ? { thinking: this.thinking } : {}), ...(this.calls.length ? { tool_calls: this.calls } : {}) };
  }

  #close(): Piece | null {
    const o = this.#open;
    this.#open = null;
    if (!o) return null;
    const call = { id: o.id, function: { index: o.index, name: o.name, arguments: argumentsOf(o.args) } };
    this.calls.push(call);
    return { content: '', tool_calls: [call] };
  }
}

function argumentsOf(text: string): Record<string, unknown> | string {
  if (!text.trim()) return {}; // a function without parameters
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : text;
  } catch {
    return text;
  }
}
