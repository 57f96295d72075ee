// Generation events → the output items of a response, and the stream events that build them
// (https://platform.openai.com/docs/api-reference/responses-streaming). Each run of one kind of
// event is one item: reasoning → a reasoning item (its text in `content`, as reasoning_text),
// content → a message with one output_text part, a tool call → a function_call item. An item is
// opened (output_item.added, content_part.added), grows (…delta) and is closed (…done,
// output_item.done) when another kind starts or the generation ends. Events carry no
// sequence_number: the route numbers them as it sends them.
import type { ChatEvent, ChatFinish } from '../../generate/index.ts';
import { newId } from '../ids.ts';
import { ID_PREFIX, type FunctionCallItem, type Item, type MessageItem, type ReasoningItem } from './items.ts';

export type StreamEvent = { type: string } & Record<string, unknown>;

type Open =
  | { kind: 'reasoning'; item: ReasoningItem; index: number; text: string }
  | { kind: 'message'; item: MessageItem; index: number; text: string }
  | { kind: 'function_call'; item: FunctionCallItem; index: number; text: string };

export class OutputItems {
  readonly items: Item[] = [];
  finish: ChatFinish | null = null;
  reasoningTokens = 0;
  #open: Open | null = null;

  /** The events that show `e`; the finish closes the open item. */
  add(e: ChatEvent): StreamEvent[] {
    switch (e.type) {
      case 'reasoning': return this.#text('reasoning', e.text);
      case 'content': return e.text ? this.#text('message', e.text) : [];
      case 'tool-call': {
        const out = this.close();
        const item: FunctionCallItem = { id: newId(ID_PREFIX.function_call), type: 'function_call', status: 'in_progress', call_id: e.id, name: e.name, arguments: '' };
        return [...out, ...this.#start({ kind: 'function_call', item, index: this.items.length, text: '' })];
      }
      case 'tool-args': {
        const o = this.#open;
        if (o?.kind !== 'function_call') return [];
        o.text += e.text;
        return [{ type: 'response.function_call_arguments.delta', item_id: o.item.id, output_index: o.index, delta: e.text }];
      }
      case 'finish':
        this.finish = e.reason;
        this.reasoningTokens = e.reasoningTokens;
        return this.close(e.reason === 'length' ? 'incomplete' : 'completed');
    }
  }

  /** Closes the open item (if any) with `status`. */
  close(status: 'completed' | 'incomplete' = 'completed'): StreamEvent[] {
    const o = this.#open;
    if (!o) return [];
    this.#open = null;
    const at = { item_id: o.item.id, output_index: o.index };
    const out: StreamEvent[] = [];
    let done: Item;
    if (o.kind === 'function_call') {
      out.push({ type: 'response.function_call_arguments.done', ...at, name: o.item.name, arguments: o.text });
      done = { ...o.item, status, arguments: o.text };
    } else if (o.kind === 'reasoning') {
      const part = { type: 'reasoning_text' as const, text: o.text };
      out.push({ type: 'response.reasoning_text.done', ...at, content_index: 0, text: o.text }, { type: 'response.content_part.done', ...at, content_index: 0, part });
      done = { ...o.item, status, content: [part] };
    } else {
      const part = { type: 'output_text' as const, text: o.text, annotations: [], logprobs: [] };
      out.push({ type: 'response.output_text.done', ...at, content_index: 0, text: o.text, logprobs: [] }, { type: 'response.content_part.done', ...at, content_index: 0, part });
      done = { ...o.item, status, content: [part] };
    }
    this.items[o.index] = done;
    out.push({ type: 'response.output_item.done', output_index: o.index, item: done });
    return out;
  }

  #text(kind: 'reasoning' | 'message', delta: string): StreamEvent[] {
    const out: StreamEvent[] = [];
    if (this.#open?.kind !== kind) {
      out.push(...this.close());
      const index = this.items.length;
      out.push(...this.#start(kind === 'reasoning'
        ? { kind, index, text: '', item: { id: newId(ID_PREFIX.reasoning), type: 'reasoning', status: 'in_progress', summary: [], content: [] } }
        : { kind, index, text: '', item: { id: newId(ID_PREFIX.message), type: 'message', role: 'assistant', status: 'in_progress', content: [] } }));
    }
    const o = this.#open!;
    o.text += delta;
    const type = kind === 'reasoning' ? 'response.reasoning_text.delta' : 'response.output_text.delta';
    out.push({ type, item_id: o.item.id, output_index: o.index, content_index: 0, delta, ...(kind === 'message' ? { logprobs: [] } : {}) });
    return out;
  }

  #start(o: Open): StreamEvent[] {
    this.#open = o;
    this.items.push(o.item);
    const out: StreamEvent[] = [{ type: 'response.output_item.added', output_index: o.index, item: structuredClone(o.item) }];
    if (o.kind === 'reasoning') out.push({ type: 'response.content_part.added', item_id: o.item.id, output_index: o.index, content_index: 0, part: { type: 'reasoning_text', text: '' } });
    if (o.kind === 'message') out.push({ type: 'response.content_part.added', item_id: o.item.id, output_index: o.index, content_index: 0, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } });
    return out;
  }
}
