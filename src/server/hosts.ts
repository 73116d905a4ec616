import { hostname, networkInterfaces } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { HttpError } from './errors.ts';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const LOOPBACK_BINDS = new Set(['127.0.0.1', '::1', 'localhost']);

export const isLoopback = (host: string): boolean => LOOPBACK_BINDS.has(host);

/** A host name as it appears in a Host header: lower case, IPv6 in brackets. */
function hostKey(name: string): string {
  const n = name.trim().toLowerCase();
  return n.includes(':') && !n.startsWith('[') ? `[${n}]` : n;
}

/**
 * The names a server bound to `host` answers to: loopback's always; the
 * address itself; for a wildcard bind (0.0.0.0, ::) every interface address
 * and the machine's host name; plus the names given (a DNS name or the
 * name of a reverse proxy; `*` accepts any).
 */
export function boundNames(host: string, extra: readonly string[] = []): string[] {
  const names = new Set(LOOPBACK_NAMES);
  names.add(hostKey(host));
  if (host === '0.0.0.0' || host === '::' || host === '') {
    names.add(hostKey(hostname()));
    for (const list of Object.values(networkInterfaces()))
      for (const a of list ?? []) names.add(hostKey(a.address.replace(/%.*$/, '')));
  }
  for (const e of extra) names.add(hostKey(e));
  return [...names];
}

/** The host name of a Host header or an Origin, without the port; undefined when it does not parse. */
function nameOf(hostHeader: string, scheme = 'http://'): string | undefined {
  try {
    return new URL(hostHeader.includes('://') ? hostHeader : scheme + hostHeader).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * DNS rebinding and cross-site writes: a request is answered only when its
 * Host names this server (a page of attacker.example whose name resolves to
 * 127.0.0.1 sends `Host: attacker.example`), and a request that may write
 * and carries an Origin must come from this server's own names or an origin
 * allowed for CORS. Clients outside browsers send no Origin and pass.
 */
export function installHostCheck(
  app: FastifyInstance,
  allowedHosts: readonly string[],
  corsOrigins: readonly string[] = [],
): void {
  const names = new Set(allowedHosts.map(hostKey));
  if (names.has('*')) return;
  const origins = new Set(corsOrigins);
  app.addHook('onRequest', async (req) => {
    const raw = req.headers.host;
    const name = raw ? nameOf(raw) : undefined;
    if (!name || !names.has(name))
      throw new HttpError(
        421,
        'E_HOST',
        `this server does not answer to host "${raw ?? ''}"; allow the name with --allowed-host (or LOCKSTEP_ALLOWED_HOSTS)`,
      );
    const origin = req.headers.origin;
    if (!origin || ['GET', 'HEAD', 'OPTIONS'].includes(req.method) || origins.has(origin) || origins.has('*')) return;
    const from = origin === 'null' ? undefined : nameOf(origin);
    if (!from || !names.has(from))
      throw new HttpError(
        403,
        'E_ORIGIN',
        `requests that write are refused from another site's page (Origin ${origin})`,
      );
  });
}
