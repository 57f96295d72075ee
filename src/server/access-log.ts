// The access log: one line per request — method, path (never the query: it may carry secrets),
// status, duration in ms, and the tokens in and out when a generation happened — written when the
// response is complete: for a stream (SSE, NDJSON, msgpack), when its last byte went out or the
// client left. `text` is for people, `json` (one object a line) for log collectors.
import type { Context, MiddlewareHandler } from 'hono';
import type { Usage } from '../generate/index.ts';

export const LOG_FORMATS = ['text', 'json', 'none'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
/** What `serve` logs unless told otherwise. */
export const DEFAULT_LOG_FORMAT: LogFormat = 'text';

const usages = new WeakMap<Request, Usage>();
const STREAM = /^(text\/event-stream|application\/x-ndjson|application\/(x-|vnd\.)?msgpack)/i;

/** Notes a request's token counts for its log line (the routes call it with their end event). */
export function recordUsage(c: Context, u: Usage): void {
  usages.set(c.req.raw, u);
}

export function accessLog(format: LogFormat, log: (line: string) => void): MiddlewareHandler | null {
  if (format === 'none') return null;
  return async function accessLog(c, next) {
    const t0 = performance.now();
    await next();
    const write = (cancelled: boolean) => {
      const u = usages.get(c.req.raw);
      const entry = {
        time: new Date().toISOString(), method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - t0),
        ...(u ? { tokens_in: u.promptTokens, tokens_out: u.completionTokens } : {}), ...(cancelled ? { cancelled: true } : {}),
      };
      log(format === 'json' ? JSON.stringify(entry) : textLine(entry));
    };
    const res = c.res;
    if (res.body && STREAM.test(res.headers.get('content-type') ?? '')) c.res = new Response(whenDone(res.body, write), res);
    else write(false);
  };
}

function textLine(e: { time: string; method: string; path: string; status: number; ms: number; tokens_in?: number; tokens_out?: number; cancelled?: boolean }): string {
  const tokens = e.tokens_in !== undefined ? ` in=${e.tokens_in} out=${e.tokens_out}` : '';
  return `${e.time} ${e.method} ${e.path} ${e.status} ${e.ms}ms${tokens}${e.cancelled ? ' cancelled' : ''}`;
}

/** `body`, passed through; `done` runs once, when it ends (false) or the client cancels it (true). */
function whenDone(body: ReadableStream<Uint8Array>, done: (cancelled: boolean) => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let ended = false;
  const end = (cancelled: boolean) => { if (!ended) { ended = true; done(cancelled); } };
  return new ReadableStream<Uint8Array>({
    async pull(ctl) {
      try {
        const r = await reader.read();
        if (r.done) { ctl.close(); end(false); } else ctl.enqueue(r.value);
      } catch (e) {
        end(true);
        ctl.error(e);
      }
    },
    async cancel(reason) {
      end(true);
      await reader.cancel(reason);
    },
  });
}
