// One error type for the API, rendered in OpenAI's shape: {"error": {"message", "type", "param",
// "code"}} (https://platform.openai.com/docs/guides/error-codes). Anything else that reaches the
// handler is a bug: it is logged and answered with a plain 500, never a stack trace.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export type ErrorType = 'invalid_request_error' | 'authentication_error' | 'not_found_error' | 'rate_limit_error' | 'server_error';

export interface ErrorBody { error: { message: string; type: ErrorType; param: string | null; code: string | null } }

export class ApiError extends Error {
  constructor(readonly status: ContentfulStatusCode, message: string, readonly type: ErrorType = 'invalid_request_error',
    readonly param: string | null = null, readonly code: string | null = null, readonly headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ApiError';
  }

  body(): ErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400 invalid_request_error naming the field (`param`) at fault. */
export function badRequest(message: string, param: string | null = null, code: string | null = null): ApiError {
  return new ApiError(400, message, 'invalid_request_error', param, code);
}

/** The app's error handler (Hono `onError`). */
export function errorResponse(err: unknown, c: Context, log: (line: string) => void): Response {
  const e = asApiError(err, log);
  for (const [k, v] of Object.entries(e.headers)) c.header(k, v);
  return c.json(e.body(), e.status);
}

/** An ApiError as it is; anything else is logged (with its stack) and becomes a bare 500. */
export function asApiError(err: unknown, log: (line: string) => void): ApiError {
  if (err instanceof ApiError) return err;
  log(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  return new ApiError(500, 'internal server error (logged on the server)', 'server_error', null, 'internal_error');
}
