// Conversations and settings, kept in the browser's localStorage (nothing is stored on the server).
// A conversation: { id, title, updated, messages: [{ role, content, reasoning?, toolCalls?,
// toolCallId?, state?, error?, stats? }] }.

const CONVERSATIONS = 'oss-edge.conversations';
const SETTINGS = 'oss-edge.settings';

export const DEFAULT_SETTINGS = { effort: 'medium', temperature: 1, maxTokens: '', system: '', tools: '', apiKey: '' };

function read(key, fallback) {
  try {
    const v = JSON.parse(localStorage.getItem(key) ?? 'null');
    return v ?? fallback;
  } catch {
    return fallback;
  }
}

export function loadSettings() {
  return { ...DEFAULT_SETTINGS, ...read(SETTINGS, {}) };
}

export function saveSettings(s) {
  localStorage.setItem(SETTINGS, JSON.stringify(s));
}

export function loadConversations() {
  const list = read(CONVERSATIONS, []);
  return Array.isArray(list) ? list.filter((c) => c && typeof c.id === 'string' && Array.isArray(c.messages)) : [];
}

/** Saves all conversations; when the browser's quota is full, drops the oldest until they fit. */
export function saveConversations(list) {
  const sorted = [...list].sort((a, b) => b.updated - a.updated);
  for (let n = sorted.length; n > 0; n--) {
    try {
      localStorage.setItem(CONVERSATIONS, JSON.stringify(sorted.slice(0, n)));
      return n;
    } catch {
      // QuotaExceededError: try with one fewer
    }
  }
  localStorage.removeItem(CONVERSATIONS);
  return 0;
}

export function newConversation() {
  // Not crypto.randomUUID: it exists only in secure contexts, and the page may be reached over
  // plain http on a LAN address.
  const id = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('');
  return { id, title: 'New chat', updated: Date.now(), messages: [] };
}
