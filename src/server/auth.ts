import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LockstepError } from '../errors.ts';
import { HttpError } from './errors.ts';
import { isPageLoad, registerSignIn, replySignIn, safeNext } from './signin.ts';

export type Access = 'read' | 'write';

/** A bearer token and what it may do. */
export interface TokenSpec {
  token: string;
  access: Access;
}

/** Route config: `access: 'read'` marks a POST that only reads (search, SQL); `public` needs no token. */
declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    public?: boolean;
  }
}

export const TOKEN_COOKIE = 'lockstep_token';

/** Accepts `[{ token, access }]` or `{ read: [...], write: [...] }`; refuses short tokens. */
export function normaliseTokens(tokens: TokenSpec[] | { read?: string[]; write?: string[] } | undefined): TokenSpec[] {
  if (!tokens) return [];
  const list = Array.isArray(tokens)
    ? tokens
    : [
        ...(tokens.read ?? []).map((token) => ({ token, access: 'read' as const })),
        ...(tokens.write ?? []).map((token) => ({ token, access: 'write' as const })),
      ];
  for (const t of list) {
    if (typeof t.token !== 'string' || t.token.length < 8)
      throw new LockstepError('E_INPUT', 'server tokens must be strings of at least 8 characters');
    if (t.access !== 'read' && t.access !== 'write')
      throw new LockstepError('E_INPUT', `token access must be "read" or "write", got "${String(t.access)}"`);
  }
  return list;
}

/** Hashing first makes the comparison constant-time whatever the lengths. */
const digest = (s: string) => createHash('sha256').update(s).digest();

function presented(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (h) {
    const m = /^Bearer\s+(.+)$/i.exec(h);
    return m ? (m[1] as string).trim() : undefined;
  }
  const cookie = req.headers.cookie;
  if (cookie) {
    for (const part of cookie.split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k !== TOKEN_COOKIE) continue;
      try {
        return decodeURIComponent(v.join('='));
      } catch {
        return ''; // malformed percent-encoding: no valid token, a 401 like any wrong one
      }
    }
  }
  const q = (req.query as Record<string, unknown> | undefined)?.token;
  return typeof q === 'string' ? q : undefined;
}

/**
 * Without tokens everything is open (the server then only listens on
 * loopback, see `startServer`). With tokens, every request needs one, and
 * requests that change anything need a read-write one. `signIn` (the tracking
 * server's web UI): a browser opening a page without a valid token gets a
 * form that asks for it (see signin.ts) instead of the JSON 401.
 */
export async function installAuth(
  app: FastifyInstance,
  tokens: TokenSpec[],
  options: { signIn?: boolean } = {},
): Promise<void> {
  if (tokens.length === 0) return;
  const known = tokens.map((t) => ({ hash: digest(t.token), access: t.access }));
  const find = (token: string) => {
    const h = digest(token);
    return known.find((k) => timingSafeEqual(k.hash, h));
  };
  const cookie = (token: string) => `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
  app.addHook('onRequest', async (req, reply) => {
    const config = req.routeOptions.config;
    if (config?.public) return;
    const token = presented(req);
    const match = token === undefined ? undefined : find(token);
    if (!match) {
      // a browser opening a page gets a form that asks for the token, API clients the 401 in JSON
      if (options.signIn && isPageLoad(req))
        return replySignIn(reply, safeNext(req.url), token === undefined ? undefined : 'That token is not valid.');
      throw new HttpError(
        401,
        'E_UNAUTHORIZED',
        token === undefined ? 'a bearer token is required (Authorization: Bearer <token>)' : 'the token is not valid',
      );
    }
    const needs: Access = config?.access ?? (['GET', 'HEAD', 'OPTIONS'].includes(req.method) ? 'read' : 'write');
    if (needs === 'write' && match.access !== 'write')
      throw new HttpError(403, 'E_FORBIDDEN', 'this token is read-only; writing needs a read-write token');
    // A token given in the query string (the UI's first page load) becomes a cookie for what follows.
    if (!req.headers.authorization && (req.query as Record<string, unknown> | undefined)?.token === token) {
      reply.header('set-cookie', cookie(token as string));
    }
  });
  if (options.signIn) await registerSignIn(app, (t) => find(t) !== undefined, cookie);
}
