import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { HttpError, isMlflowPath } from './errors.ts';
import { UI_CSP } from './headers.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** Where a built UI is looked for when no `uiRoot` is given: the package's `ui/dist`, then `dist/ui`. */
export function defaultUiRoot(): string | undefined {
  const pkg = fileURLToPath(new URL('../../', import.meta.url));
  return [join(pkg, 'ui', 'dist'), join(pkg, 'dist', 'ui')].find((p) => existsSync(join(p, 'index.html')));
}

const NO_UI = `<!doctype html><meta charset="utf-8"><title>lockstep</title>
<h1>lockstep tracking server</h1>
<p>The web UI is not built. Build it (<code>npm run build:ui</code>) or use the API:
<a href="/docs">Swagger UI</a>, <a href="/openapi.json">OpenAPI</a>, <a href="/api/v1/experiments">experiments</a>.</p>`;

/**
 * Serves the built web UI: files under the root (never outside it), and
 * index.html for any other GET path that is not an API path (SPA fallback).
 */
export function registerStatic(app: FastifyInstance, uiRoot: string | false | undefined): void {
  const root = uiRoot === false ? undefined : uiRoot ? resolve(uiRoot) : defaultUiRoot();
  app.get('/*', { schema: { hide: true } }, async (req, reply) => {
    let path: string;
    try {
      path = decodeURIComponent((req.url.split('?')[0] as string) || '/');
    } catch {
      throw new HttpError(400, 'E_INPUT', 'the URL path is not valid percent-encoding', { field: 'url' });
    }
    if (path.startsWith('/api/') || isMlflowPath(path) || path.startsWith('/ajax-api/'))
      throw new HttpError(404, 'E_NOT_FOUND', `no API route ${req.method} ${path}`);
    reply.header('content-security-policy', UI_CSP);
    reply.header('x-frame-options', 'DENY');
    if (!root || !existsSync(join(root, 'index.html'))) return reply.type('text/html; charset=utf-8').send(NO_UI);
    const file = normalize(join(root, path));
    const inside = file === root || file.startsWith(root + sep);
    const target = inside && existsSync(file) && statSync(file).isFile() ? file : join(root, 'index.html');
    const type = TYPES[extname(target)] ?? 'application/octet-stream';
    // hashed assets can be cached for long; index.html must not be
    reply.header('cache-control', target.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable');
    return reply.type(type).send(createReadStream(target));
  });
  app.setNotFoundHandler((req) => {
    throw new HttpError(404, 'E_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`);
  });
}
