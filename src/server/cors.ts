import type { FastifyInstance } from 'fastify';

/**
 * CORS only for the origins configured (none by default, so a web page on
 * another origin cannot read the API). Preflight requests are answered here.
 */
export function installCors(app: FastifyInstance, origins: readonly string[]): void {
  if (origins.length === 0) return;
  const allowed = new Set(origins);
  app.addHook('onRequest', async (req, reply) => {
    const origin = req.headers.origin;
    if (!origin || !(allowed.has(origin) || allowed.has('*'))) return;
    reply.header('access-control-allow-origin', origin);
    reply.header('vary', 'Origin');
    if (req.method === 'OPTIONS') {
      reply.header('access-control-allow-methods', 'GET, POST, PATCH, DELETE, OPTIONS');
      reply.header('access-control-allow-headers', 'authorization, content-type, idempotency-key');
      reply.header('access-control-max-age', '600');
      return reply.code(204).send();
    }
  });
}
