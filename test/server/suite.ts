// A tracking server for one `describe` block of the server tests.
import { after } from 'node:test';
import type { Session } from '../../src/index.ts';
import { createServer } from '../../src/server/index.ts';
import { type Backend, freshSession } from '../helpers.ts';

/**
 * A fresh session of the backend with a tracking server on it (no web UI),
 * both closed after the suite, with the backend; undefined when the backend
 * is unavailable (outside CI). Call it from a `describe` body.
 */
export async function serverSuite(
  backend: Backend,
): Promise<{ session: Session; app: Awaited<ReturnType<typeof createServer>> } | undefined> {
  after(() => backend.cleanup());
  const session = await freshSession(backend);
  if (!session) return undefined;
  after(() => session.close());
  const app = await createServer({ session, uiRoot: false });
  after(() => app.close());
  return { session, app };
}
