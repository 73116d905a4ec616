import { LockstepError } from '../errors.ts';
import type { Driver } from './driver.ts';
import { SqliteDriver } from './sqlite/index.ts';

/** The database a session uses when none is named: `LOCKSTEP_DB`, else `./lockstep.db`. */
export function defaultUrl(): string {
  return process.env.LOCKSTEP_DB || './lockstep.db';
}

/**
 * Opens the backend a URL names:
 * `:memory:` or `sqlite::memory:`, a file path or `sqlite:path`,
 * `postgres://…` or `postgresql://…` (with `?schema=NAME` to use a schema).
 * `readonly` opens what exists and creates nothing: a SQLite file must
 * exist (and is opened read-only), a PostgreSQL schema too (E_NOT_FOUND).
 */
export async function openDriver(url: string = defaultUrl(), options: { readonly?: boolean } = {}): Promise<Driver> {
  if (typeof url !== 'string' || url === '')
    throw new LockstepError('E_INPUT', 'the database URL must be a non-empty string');
  if (/^postgres(ql)?:\/\//i.test(url)) {
    // loaded only when asked for: pg costs ~0.1 s of start-up that a SQLite command does not need
    const { PostgresDriver } = await import('./postgres/index.ts');
    return PostgresDriver.open(url, options);
  }
  if (/^https?:\/\//i.test(url)) {
    throw new LockstepError(
      'E_INPUT',
      `${url} is a lockstep tracking server, not a database: open it with createSession(url), which speaks its HTTP API`,
    );
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new LockstepError(
      'E_INPUT',
      `unsupported database URL "${url}": expected a file path, sqlite:PATH, :memory: or postgres://…`,
    );
  }
  let path = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : url;
  if (path.startsWith('//')) path = path.slice(2);
  if (path === '') throw new LockstepError('E_INPUT', 'sqlite: needs a path, for example sqlite:./lockstep.db');
  return new SqliteDriver(path, options);
}
