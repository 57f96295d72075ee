// API key check (`Authorization: Bearer KEY`), as OpenAI clients send it. Both sides are hashed
// first, so the comparison takes the same time whatever the key's length or first difference.
import type { MiddlewareHandler } from 'hono';
import { ApiError } from './errors.ts';

const sha256 = async (s: string) => new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(s)));

/** Constant-time equality of two strings (through their SHA-256). */
export async function sameKey(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([sha256(a), sha256(b)]);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

export function apiKeyAuth(key: string): MiddlewareHandler {
  return async function apiKeyAuth(c, next) {
    const given = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1]?.trim();
    if (given === undefined) throw unauthorized('missing API key: send `Authorization: Bearer <key>` (the server was started with --api-key)');
    if (!(await sameKey(given, key))) throw unauthorized('incorrect API key provided');
    await next();
  };
}

function unauthorized(message: string): ApiError {
  return new ApiError(401, message, 'authentication_error', null, 'invalid_api_key', { 'WWW-Authenticate': 'Bearer' });
}
