import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isMlflowPath } from './errors.ts';
import { UI_CSP } from './headers.ts';

/**
 * A browser opening a token-protected server gets a page that asks for the
 * token instead of a 401 in JSON: a plain form (no script) that posts the token
 * to /signin, which sets the same HttpOnly cookie `?token=` sets and goes back
 * to the page asked for. API clients keep their JSON 401.
 */

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** A path on this server to go back to after signing in (never another site, never a token in it). */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.length > 2000) return '/';
  let url: URL;
  try {
    url = new URL(next, 'http://this.server');
  } catch {
    return '/';
  }
  // `//host/…` and `/\\host/…` name another host: not a path of this server
  if (url.origin !== 'http://this.server') return '/';
  url.searchParams.delete('token');
  return url.pathname + url.search;
}

export function signInPage(next: string, problem?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · lockstep</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;background:#f8fafc;color:#0f172a;display:flex;justify-content:center;padding-top:12vh;margin:0}
main{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:24px 28px;width:min(420px,90vw)}
h1{font-size:20px;margin:0 0 6px}p{margin:0 0 14px;color:#475569}
label{display:block;font-weight:600;margin-bottom:4px}input[type=password]{width:100%;box-sizing:border-box;padding:8px;font:inherit;border:1px solid #cbd5e1;border-radius:6px}
button{margin-top:14px;padding:8px 16px;font:inherit;background:#2563eb;color:#fff;border:0;border-radius:6px;cursor:pointer}
.problem{color:#b91c1c;font-weight:600}code{font-size:13px}
</style></head>
<body><main>
<h1>lockstep</h1>
<p>This tracking server needs a token. Ask whoever runs it, or see the <code>--token</code> and <code>--read-token</code> options of <code>lockstep ui</code>.</p>
${problem ? `<p class="problem" role="alert">${escapeHtml(problem)}</p>` : ''}
<form method="post" action="/signin">
<input type="hidden" name="next" value="${escapeHtml(next)}">
<label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button>
</form>
</main></body></html>
`;
}

/** A page load of the web UI (not an API call): GET or HEAD of a non-API path, by a browser that wants HTML. */
export function isPageLoad(req: FastifyRequest): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const path = req.url.split('?')[0] as string;
  if (path.startsWith('/api/') || path.startsWith('/ajax-api/') || isMlflowPath(path) || path === '/openapi.json')
    return false;
  return (req.headers.accept ?? '').includes('text/html');
}

export function replySignIn(reply: FastifyReply, next: string, problem?: string): FastifyReply {
  return (
    reply
      .code(401)
      .header('content-security-policy', UI_CSP)
      .header('x-frame-options', 'DENY')
      .header('cache-control', 'no-store')
      // with no-referrer a browser posts the form with `Origin: null`, which the origin check refuses;
      // same-origin still never tells another site anything
      .header('referrer-policy', 'same-origin')
      .type('text/html; charset=utf-8')
      .send(signInPage(next, problem))
  );
}

/**
 * POST /signin (form-encoded `token`, `next`): a valid token becomes the
 * HttpOnly cookie and the browser goes on to `next`; a wrong one gets the page again.
 */
export async function registerSignIn(
  app: FastifyInstance,
  valid: (token: string) => boolean,
  cookie: (token: string) => string,
): Promise<void> {
  await app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 16 * 1024 },
      (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    scope.post('/signin', { schema: { hide: true }, config: { public: true } }, async (req, reply) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const next = safeNext(body.next);
      const token = typeof body.token === 'string' ? body.token.trim() : '';
      if (!token || !valid(token)) return replySignIn(reply, next, 'That token is not valid.');
      return reply.code(303).header('set-cookie', cookie(token)).header('location', next).send();
    });
  });
}
