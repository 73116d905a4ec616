import { pgTarget } from '../../store/postgres/connect.ts';
import { PostgresDriver } from '../../store/postgres/index.ts';
import { SqliteDriver } from '../../store/sqlite/index.ts';
import type { Store } from '../../store/store.ts';
import { type PostgresSqlOptions, PostgresSqlRunner } from './postgres.ts';
import type { SqlRunner } from './runner.ts';
import { sqliteReadOnly } from './sqlite.ts';

export type { SqlLimits, SqlRunner } from './runner.ts';

export interface SqlEndpointOptions extends PostgresSqlOptions {
  /** PostgreSQL: the URL of the read-only role the endpoint connects as (default: the store's own, refused when it can write). */
  url?: string;
}

/** Server settings of every SQL endpoint connection: read-only by default, and the statement's time limit. */
const settings = (timeoutMs: number) => ({
  statement_timeout: Math.max(1, Math.floor(timeoutMs)),
  default_transaction_read_only: 'on',
  idle_in_transaction_session_timeout: Math.max(1000, Math.floor(timeoutMs) * 2),
});

/**
 * The SQL endpoint's runner for a store: a SQLite file is opened read-only in
 * a child process killed at the timeout; PostgreSQL gets connections of its
 * own (see {@link PostgresSqlRunner}); anything else (an in-memory database)
 * runs on the driver's read-only path.
 */
export function openSqlRunner(store: Store, options: SqlEndpointOptions = {}): SqlRunner {
  const d = store.driver;
  if (d instanceof SqliteDriver && d.location !== ':memory:' && d.location !== '') {
    return { run: (sql, params, limits) => sqliteReadOnly(d.location, sql, params, limits), close: async () => {} };
  }
  if (d instanceof PostgresDriver) {
    const url = options.url;
    return new PostgresSqlRunner(
      (timeoutMs) => (url ? pgTarget(url, settings(timeoutMs)) : d.target(settings(timeoutMs))),
      options,
    );
  }
  return { run: (sql, params, limits) => d.queryReadOnly(sql, params, limits), close: async () => {} };
}
