// The server's OpenAI API as the page uses it: the model list and streamed chat completions (SSE
// read from fetch, since EventSource cannot POST). Relative URLs: same origin, any path prefix.

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

const headers = (apiKey) => ({ 'Content-Type': 'application/json', ...(apiKey ? { Authorization: `Bearer ${apiKey}` } : {}) });

async function failure(res) {
  let message = `HTTP ${res.status}`;
  try {
    message = (await res.json()).error?.message ?? message;
  } catch {
    // not the OpenAI error shape
  }
  return new ApiError(message, res.status);
}

export async function listModels(apiKey) {
  const res = await fetch('v1/models', { headers: headers(apiKey) });
  if (!res.ok) throw await failure(res);
  return (await res.json()).data;
}

/**
 * POSTs a streamed chat completion and calls `onChunk` with each `chat.completion.chunk`. Resolves
 * at `[DONE]`; rejects with an ApiError (HTTP or in-stream error) or the AbortError of `signal`,
 * which also closes the connection, so the server stops generating.
 */
export async function streamChat(body, { apiKey, signal, onChunk }) {
  const res = await fetch('v1/chat/completions', { method: 'POST', headers: headers(apiKey), body: JSON.stringify({ ...body, stream: true }), signal });
  if (!res.ok) throw await failure(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      for (const line of frame.split('\n')) {
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') return;
        const chunk = JSON.parse(data);
        if (chunk.error) throw new ApiError(chunk.error.message ?? 'the generation failed', 500);
        onChunk(chunk);
      }
    }
  }
}
