import { LockstepError } from '../errors.ts';
import { type App, createServer, type ServerOptions } from './app.ts';
import { normaliseTokens } from './auth.ts';
import { boundNames, isLoopback } from './hosts.ts';

export interface StartOptions extends ServerOptions {
  /** Default 127.0.0.1; any other address needs at least one token. */
  host?: string;
  /** Default 5000 (MLflow's); 0 picks a free port. */
  port?: number;
}

/**
 * Starts the server on a socket. Listening beyond loopback without a token
 * is refused: the API reads and writes the whole database.
 *
 * @example
 * ```ts
 * const { url, close } = await startServer({ session, port: 5000 });
 * ```
 */
export async function startServer(
  options: StartOptions,
): Promise<{ app: App; url: string; close: () => Promise<void> }> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && normaliseTokens(options.tokens).length === 0) {
    throw new LockstepError(
      'E_INPUT',
      `listening on ${host} needs a token: pass --token (or LOCKSTEP_TOKEN) so that nobody else on the network can read or write the database`,
    );
  }
  const app = await createServer({ ...options, allowedHosts: boundNames(host, options.allowedHosts ?? []) });
  const address = await listenOrExplain(app, host, options.port ?? 5000);
  return { app, url: address, close: () => app.close() };
}

/**
 * Listens, or closes the app and says in one sentence why it cannot: a busy
 * port or a privileged one is the caller's to fix (E_INPUT), anything else
 * is E_UNAVAILABLE.
 */
export async function listenOrExplain(
  app: { listen(o: { host: string; port: number }): Promise<string>; close(): Promise<unknown> },
  host: string,
  port: number,
): Promise<string> {
  try {
    return await app.listen({ host, port });
  } catch (e) {
    await app.close();
    const code = (e as { code?: string }).code;
    throw new LockstepError(
      code === 'EADDRINUSE' || code === 'EACCES' ? 'E_INPUT' : 'E_UNAVAILABLE',
      code === 'EADDRINUSE'
        ? `port ${port} on ${host} is already in use; choose another with --port`
        : `cannot listen on ${host}:${port}: ${(e as Error).message}`,
      { cause: e },
    );
  }
}
