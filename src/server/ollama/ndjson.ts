// Ollama streams newline-delimited JSON (`application/x-ndjson`): one object a line, the last with
// `done: true`. An error after the stream began is a last `{"error": "…"}` line, which the `ollama`
// clients raise. A client that goes away aborts the generation.
import type { Context } from 'hono';
import { stream } from 'hono/streaming';
import { asApiError } from '../errors.ts';

export type SendLine = (line: object) => Promise<void>;

export function streamNdjson(c: Context, abort: AbortController, produce: (send: SendLine) => Promise<void>, log: (line: string) => void): Response {
  c.header('Content-Type', 'application/x-ndjson');
  c.header('Cache-Control', 'no-cache');
  c.header('X-Accel-Buffering', 'no');
  return stream(c, async (s) => {
    s.onAbort(() => abort.abort());
    const send: SendLine = async (line) => {
      if (!s.aborted) await s.write(`${JSON.stringify(line)}\n`);
    };
    try {
      await produce(send);
    } catch (e) {
      await send({ error: asApiError(e, log).message });
    }
  });
}
