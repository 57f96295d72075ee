// Messages as DOM. Replies are markdown from a model, so untrusted: marked renders them and
// DOMPurify keeps only inert HTML; reasoning, tool arguments and user text go in as plain text.
import DOMPurify from './vendor/purify.js';
import { marked } from './vendor/marked.js';

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

export function markdown(text) {
  return DOMPurify.sanitize(marked.parse(text, { gfm: true, breaks: true, async: false }));
}

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A message's element; `update(msg)` redraws it in place (called as a reply streams in). */
export function messageView(msg) {
  const root = el('article', `msg ${msg.role}`);
  root.dataset.role = msg.role;
  const reasoning = el('details', 'reasoning');
  const summary = el('summary');
  const thought = el('div', 'reasoning-text');
  reasoning.append(summary, thought);
  const content = el('div', 'content');
  const tools = el('div', 'tool-calls');
  const status = el('div', 'status');
  if (msg.role === 'assistant') root.append(reasoning, content, tools, status);
  else root.append(content);
  let shown = { content: null, reasoning: null, tools: null };

  function update(m) {
    root.dataset.state = m.state ?? 'done';
    reasoning.hidden = !m.reasoning;
    if (m.reasoning !== shown.reasoning) {
      thought.textContent = m.reasoning ?? '';
      shown.reasoning = m.reasoning;
    }
    summary.textContent = m.state === 'streaming' && !m.content && !m.toolCalls?.length ? 'Thinking…' : 'Reasoning';
    if (m.content !== shown.content) {
      if (m.role === 'assistant') content.innerHTML = markdown(m.content ?? '');
      else content.textContent = m.role === 'tool' ? `Result of ${m.name ?? m.toolCallId}: ${m.content}` : m.content;
      shown.content = m.content;
    }
    const callsKey = JSON.stringify(m.toolCalls ?? []);
    if (callsKey !== shown.tools) {
      tools.replaceChildren(...(m.toolCalls ?? []).map((c) => {
        const box = el('div', 'tool-call');
        box.append(el('div', 'tool-name', `Tool call: ${c.name}`), el('pre', 'tool-args', prettyJson(c.arguments)));
        return box;
      }));
      shown.tools = callsKey;
    }
    status.textContent = statusText(m);
  }
  update(msg);
  return { root, update };
}

function prettyJson(s) {
  try {
    return JSON.stringify(JSON.parse(s), null, 2);
  } catch {
    return s; // still streaming, or not JSON: as it came
  }
}

function statusText(m) {
  const parts = [];
  if (m.state === 'streaming') parts.push('generating…');
  if (m.state === 'stopped') parts.push('stopped');
  if (m.state === 'error') parts.push(`error: ${m.error}`);
  if (m.finish === 'length') parts.push('cut at the token limit');
  if (m.stats?.tokens) parts.push(`${m.stats.tokens} tokens${m.stats.perSecond ? `, ${m.stats.perSecond.toFixed(1)} tok/s` : ''}`);
  return parts.join(' · ');
}
