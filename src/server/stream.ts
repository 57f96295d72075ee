// Streaming responses: Server-Sent Events (`data: {json}` frames, then `data: [DONE]`, as OpenAI
// streams) or, when the client sends `Accept: application/x-msgpack`, the same chunk objects as
// concatenated msgpack values (self-delimiting; msgpackr's unpackMultiple / UnpackrStream read
// them). A client that goes away cancels the response stream, which aborts the generation.
import type { Context } from 'hono';
import { stream } from 'hono/streaming';
import { Packr } from 'msgpackr';
import { asApiError } from './errors.ts';

export type Framing = 'sse' | 'msgpack';

const packr = new Packr({ useRecords: false }); // plain msgpack maps: any msgpack decoder reads them
const MSGPACK = /application\/(x-|vnd\.)?msgpack/i;

export function framingOf(accept: string | undefined): Framing {
  return accept && MSGPACK.test(accept) ? 'msgpack' : 'sse';
}

export type Send = (chunk: object) => Promise<void>;

/**
 * Streams what `produce` sends. An error thrown by `produce` becomes a last `{"error": …}` chunk
 * (the OpenAI SDKs raise it). `abort` fires when the client disconnects. `named`: the Responses
 * API's framing, each SSE frame named after its chunk's `type` (`event: response.created`) and no
 * `[DONE]` at the end.
 */
export function streamChunks(c: Context, framing: Framing, abort: AbortController, produce: (send: Send) => Promise<void>,
  log: (line: string) => void, named = false): Response {
  const sse = framing === 'sse';
  const frame = (chunk: object) => `${named ? `event: ${(chunk as { type?: string }).type ?? 'error'}\n` : ''}data: ${JSON.stringify(chunk)}\n\n`;
  c.header('Content-Type', sse ? 'text/event-stream; charset=utf-8' : 'application/x-msgpack');
  c.header('Cache-Control', 'no-cache');
  c.header('X-Accel-Buffering', 'no'); // proxies (nginx) must not hold tokens back
  return stream(c, async (s) => {
    s.onAbort(() => abort.abort());
    const send: Send = async (chunk) => {
      if (!s.aborted) await s.write(sse ? frame(chunk) : packr.pack(chunk));
    };
    try {
      await produce(send);
    } catch (e) {
      await send(asApiError(e, log).body());
    }
    if (sse && !named && !s.aborted) await s.write('data: [DONE]\n\n');
  });
}

/**
 * Cancels a non-streamed request when its client disconnects. Quirk, Deno 2.x (seen on 2.9.6):
 * `request.signal` also fires after a successful response ("legacy behavior", see Deno's
 * `--unstable-no-legacy-abort`); the generation has ended by then, so the late abort is harmless.
 */
export function abortOnDisconnect(c: Context, abort: AbortController): void {
  c.req.raw.signal.addEventListener('abort', () => abort.abort(), { once: true });
}
