// The chat page: conversations (store.js), a streamed reply per turn (api.js) drawn as it arrives
// (render.js), a stop button that aborts the request (the server stops generating when the
// connection closes), and tool calls answered by hand.
import { ApiError, listModels, streamChat } from './api.js';
import { messageView } from './render.js';
import { loadConversations, loadSettings, newConversation, saveConversations, saveSettings } from './store.js';

const $ = (id) => document.getElementById(id);
const state = { conversations: loadConversations(), current: null, settings: loadSettings(), abort: null };

// ── settings ──────────────────────────────────────────────────────────────────────────────────
const fields = { effort: $('effort'), temperature: $('temperature'), maxTokens: $('max-tokens'), system: $('system'), tools: $('tools'), apiKey: $('api-key') };
for (const [k, input] of Object.entries(fields)) {
  input.value = state.settings[k];
  input.addEventListener('input', () => {
    state.settings[k] = k === 'temperature' ? Number(input.value) : input.value;
    saveSettings(state.settings);
    showSettings();
    if (k === 'apiKey') connect();
  });
}
$('settings-form').addEventListener('submit', (ev) => ev.preventDefault());
function showSettings() {
  $('temperature-value').textContent = Number(state.settings.temperature).toFixed(2);
  $('tools-error').hidden = toolsOf() !== undefined;
  $('tools-error').textContent = 'Tools must be a JSON array of {"type": "function", "function": {...}} objects';
}
/** The tools setting as an array; null when empty; undefined when it does not parse. */
function toolsOf() {
  const t = state.settings.tools.trim();
  if (!t) return null;
  try {
    const v = JSON.parse(t);
    return Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

// ── model and API key ─────────────────────────────────────────────────────────────────────────
async function connect() {
  try {
    const [m] = await listModels(state.settings.apiKey);
    $('key-form').hidden = true;
    $('model').textContent = m ? m.id : 'no model';
    $('demo').hidden = !m?.meta?.demo;
    $('demo').title = m?.description ?? '';
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      $('key-form').hidden = false;
      $('model').textContent = 'API key needed';
    } else {
      $('model').textContent = e instanceof ApiError && e.status === 503 ? `${e.message}` : `cannot reach the server: ${e.message}`;
      if (e instanceof ApiError && e.status === 503) setTimeout(connect, 2000); // loading
    }
  }
}
$('key-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  state.settings.apiKey = fields.apiKey.value = $('key-input').value.trim();
  saveSettings(state.settings);
  connect();
});

// ── conversations ─────────────────────────────────────────────────────────────────────────────
function current() {
  return state.conversations.find((c) => c.id === state.current);
}
function persist() {
  saveConversations(state.conversations);
}
function select(id) {
  if (state.abort) return; // one reply at a time: stop it first
  state.current = id;
  drawList();
  drawMessages();
}
function drawList() {
  const ul = $('conversations');
  ul.replaceChildren(...[...state.conversations].sort((a, b) => b.updated - a.updated).map((c) => {
    const li = document.createElement('li');
    li.className = c.id === state.current ? 'active' : '';
    li.dataset.id = c.id;
    const open = document.createElement('button');
    open.className = 'open';
    open.textContent = c.title;
    open.addEventListener('click', () => select(c.id));
    const del = document.createElement('button');
    del.className = 'delete';
    del.textContent = '×';
    del.title = 'Delete this conversation';
    del.addEventListener('click', () => {
      if (state.abort && c.id === state.current) return;
      state.conversations = state.conversations.filter((x) => x.id !== c.id);
      persist();
      if (c.id === state.current) state.current = null;
      drawList();
      drawMessages();
    });
    li.append(open, del);
    return li;
  }));
}
const views = new Map();
function drawMessages() {
  const box = $('messages');
  views.clear();
  const conv = current();
  box.replaceChildren(...(conv?.messages ?? []).map((m) => {
    const v = messageView(m);
    views.set(m, v);
    return v.root;
  }));
  const pending = pendingToolCalls(conv);
  if (pending.length) box.append(toolResultForm(pending));
  box.scrollTop = box.scrollHeight;
}
$('new-chat').addEventListener('click', () => select(null));

// ── a turn ────────────────────────────────────────────────────────────────────────────────────
function requestBody(conv) {
  const s = state.settings;
  const messages = [];
  if (s.system.trim()) messages.push({ role: 'system', content: s.system });
  for (const m of conv.messages) {
    if (m.role === 'user') messages.push({ role: 'user', content: m.content });
    if (m.role === 'tool') messages.push({ role: 'tool', tool_call_id: m.toolCallId, ...(m.name ? { name: m.name } : {}), content: m.content });
    if (m.role === 'assistant' && (m.content || m.toolCalls?.length)) {
      messages.push({
        role: 'assistant', content: m.content || null,
        ...(m.reasoning ? { reasoning_content: m.reasoning } : {}),
        ...(m.toolCalls?.length ? { tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })) } : {}),
      });
    }
  }
  const tools = toolsOf();
  return {
    messages, reasoning_effort: s.effort, temperature: Number(s.temperature), stream_options: { include_usage: true },
    ...(Number(s.maxTokens) > 0 ? { max_tokens: Math.floor(Number(s.maxTokens)) } : {}),
    ...(tools ? { tools } : {}),
  };
}

async function reply(conv) {
  const msg = { role: 'assistant', content: '', reasoning: '', toolCalls: [], state: 'streaming' };
  conv.messages.push(msg);
  conv.updated = Date.now();
  persist();
  drawList();
  drawMessages();
  const view = views.get(msg);
  const abort = new AbortController();
  state.abort = abort;
  setBusy(true);
  let frame = 0;
  const redraw = () => {
    if (!frame) frame = requestAnimationFrame(() => { frame = 0; view.update(msg); follow(); });
  };
  const t0 = performance.now();
  let first = 0;
  try {
    await streamChat(requestBody(conv), {
      apiKey: state.settings.apiKey, signal: abort.signal,
      onChunk(chunk) {
        if (chunk.usage) msg.stats = { tokens: chunk.usage.completion_tokens, perSecond: 0 };
        const choice = chunk.choices?.[0];
        if (!choice) return;
        const d = choice.delta ?? {};
        if (d.reasoning_content || d.content || d.tool_calls) first ||= performance.now();
        if (d.reasoning_content) msg.reasoning += d.reasoning_content;
        if (d.content) msg.content += d.content;
        for (const t of d.tool_calls ?? []) {
          const c = (msg.toolCalls[t.index] ??= { id: '', name: '', arguments: '' });
          if (t.id) c.id = t.id;
          if (t.function?.name) c.name = t.function.name;
          if (t.function?.arguments) c.arguments += t.function.arguments;
        }
        if (choice.finish_reason) msg.finish = choice.finish_reason;
        view.root.dataset.chunks = String(Number(view.root.dataset.chunks ?? 0) + 1);
        redraw();
      },
    });
    msg.state = 'done';
  } catch (e) {
    if (e.name === 'AbortError') msg.state = 'stopped';
    else {
      msg.state = 'error';
      msg.error = e.message;
      if (e instanceof ApiError && e.status === 401) connect();
    }
  }
  if (frame) cancelAnimationFrame(frame);
  if (msg.stats && first) msg.stats.perSecond = msg.stats.tokens / Math.max(1e-3, (performance.now() - first) / 1000);
  else if (msg.stats && !first) msg.stats.perSecond = msg.stats.tokens / Math.max(1e-3, (performance.now() - t0) / 1000);
  msg.toolCalls = msg.toolCalls.filter(Boolean);
  state.abort = null;
  setBusy(false);
  conv.updated = Date.now();
  persist();
  drawMessages();
}

function follow() {
  const box = $('messages');
  if (box.scrollHeight - box.scrollTop - box.clientHeight < 120) box.scrollTop = box.scrollHeight;
}

function setBusy(busy) {
  $('send').hidden = busy;
  $('stop').hidden = !busy;
}

$('stop').addEventListener('click', () => state.abort?.abort());

$('composer').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const text = $('input').value.trim();
  if (!text || state.abort) return;
  if (toolsOf() === undefined) { $('settings').open = true; return; }
  let conv = current();
  if (!conv) {
    conv = newConversation();
    state.conversations.push(conv);
    state.current = conv.id;
  }
  if (conv.messages.length === 0) conv.title = text.length > 48 ? `${text.slice(0, 47)}…` : text;
  conv.messages.push({ role: 'user', content: text });
  $('input').value = '';
  reply(conv);
});
$('input').addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    $('composer').requestSubmit();
  }
});

// ── tool results typed by the user ────────────────────────────────────────────────────────────
function pendingToolCalls(conv) {
  const last = conv?.messages.at(-1);
  return last?.role === 'assistant' && last.state === 'done' && last.toolCalls?.length ? last.toolCalls : [];
}
function toolResultForm(calls) {
  const form = document.createElement('form');
  form.className = 'tool-results';
  const inputs = calls.map((c) => {
    const label = document.createElement('label');
    label.textContent = `Result of ${c.name}`;
    const input = document.createElement('textarea');
    input.rows = 2;
    label.append(input);
    form.append(label);
    return input;
  });
  const send = document.createElement('button');
  send.type = 'submit';
  send.textContent = 'Send tool results';
  form.append(send);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const conv = current();
    calls.forEach((c, i) => conv.messages.push({ role: 'tool', toolCallId: c.id, name: c.name, content: inputs[i].value }));
    reply(conv);
  });
  return form;
}

// A reply cut short by closing or reloading the page is kept as stopped.
for (const c of state.conversations) for (const m of c.messages) if (m.state === 'streaming') m.state = 'stopped';
window.addEventListener('pagehide', persist);
showSettings();
const recent = [...state.conversations].sort((a, b) => b.updated - a.updated)[0];
select(recent?.id ?? null);
connect();
