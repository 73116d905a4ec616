import type { FastifyInstance } from 'fastify';

/**
 * The web UI's policy: its own scripts only (Vite emits no inline script), so
 * an injected `<img onerror=…>` or `<script>` cannot run even if some text
 * escaped escaping. Inline styles stay allowed: ECharts and React set them,
 * and they run no code.
 */
export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** API answers are data, never a page: nothing in them may load or run. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox";

/**
 * Headers on every answer: no content sniffing, no referrer (a `?token=` URL
 * must not leak to another site), and a Content-Security-Policy: the UI's
 * for its pages (set by the static route), the API's for everything else
 * but Swagger UI, which brings its own page.
 */
export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    if (!reply.hasHeader('referrer-policy')) reply.header('referrer-policy', 'no-referrer');
    if (!reply.hasHeader('content-security-policy') && !req.url.startsWith('/docs'))
      reply.header('content-security-policy', API_CSP);
  });
}
