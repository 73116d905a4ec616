import pg from 'pg';
import Cursor from 'pg-cursor';
import { LockstepError } from '../../errors.ts';
import type { Row } from '../../store/driver.ts';
import { type PgTarget, pgTypes } from '../../store/postgres/connect.ts';
import { HttpError } from '../errors.ts';
import { Slots, type SqlLimits, type SqlRunner } from './runner.ts';
import { checkReadStatement } from './statement.ts';

/** What makes a role unfit to answer SQL from a read token: it could do more than read lockstep's tables. */
const ROLE_CHECK = `
SELECT r.rolname AS role,
  r.rolsuper OR r.rolcreaterole OR r.rolreplication OR r.rolbypassrls AS powerful,
  pg_has_role(current_user, 'pg_read_server_files', 'USAGE')
    OR pg_has_role(current_user, 'pg_write_server_files', 'USAGE')
    OR pg_has_role(current_user, 'pg_execute_server_program', 'USAGE')
    OR pg_has_role(current_user, 'pg_signal_backend', 'USAGE') AS server_roles,
  COALESCE(has_table_privilege(to_regclass('experiments'), 'INSERT, UPDATE, DELETE, TRUNCATE'), false) AS writes,
  COALESCE(has_schema_privilege(current_schema(), 'CREATE'), false) AS creates
FROM pg_roles r WHERE r.rolname = current_user`;

export interface PostgresSqlOptions {
  /** Run SQL even as a superuser or a role that can write (unsafe: see docs/security.md). */
  allowPrivilegedRole?: boolean;
  /** Statements running at once; more wait for a free slot (default 4). */
  concurrency?: number;
}

/**
 * The PostgreSQL SQL endpoint. Every statement gets a connection of its own,
 * opened for it and closed after it, so nothing it does (SET, COMMIT, a
 * session variable) outlives it or reaches the store's pool. On that
 * connection:
 * - the statement timeout is a connection-start setting, and a running
 *   statement cannot lift its own timer; after the deadline the client
 *   cancels it from a second connection all the same;
 * - the statement runs through the extended protocol (one Parse: PostgreSQL
 *   refuses a second statement) inside `BEGIN READ ONLY`, and is rolled back;
 * - the role is checked first: a superuser, a role with server-file or
 *   signal powers, or one that can write or create in lockstep's schema is
 *   refused unless `allowPrivilegedRole` (provision a reader with
 *   `lockstep db grant-readonly`).
 */
export class PostgresSqlRunner implements SqlRunner {
  private readonly slots: Slots;

  constructor(
    private readonly target: (timeoutMs: number) => PgTarget,
    private readonly options: PostgresSqlOptions = {},
  ) {
    this.slots = new Slots(options.concurrency ?? 4);
  }

  async run(sql: string, params: readonly unknown[], limits: SqlLimits): Promise<Row[]> {
    checkReadStatement(sql);
    const release = await this.slots.acquire(limits.timeoutMs);
    if (!release)
      throw new LockstepError('E_UNAVAILABLE', 'the SQL endpoint is busy with other queries; try again shortly');
    const { config } = this.target(limits.timeoutMs);
    const client = new pg.Client({ ...config, connectionTimeoutMillis: limits.timeoutMs });
    client.on('error', () => undefined); // a connection cancelled or cut under a statement
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void cancel(config, client);
    }, limits.timeoutMs + 250);
    try {
      await client.connect();
      await client.query('BEGIN READ ONLY');
      await this.checkRole(client);
      const cursor = client.query(new Cursor(sql, params as unknown[], { types: pgTypes }));
      try {
        return (await cursor.read(limits.maxRows)) as Row[];
      } finally {
        await cursor.close().catch(() => undefined);
      }
    } catch (e) {
      if (e instanceof HttpError || e instanceof LockstepError) throw e;
      const code = (e as { code?: string }).code;
      if (timedOut || code === '57014')
        throw new LockstepError(
          'E_SQL',
          `the query ran longer than ${limits.timeoutMs} ms and was stopped; add a LIMIT or a WHERE`,
          { details: { sql } },
        );
      throw new LockstepError('E_SQL', `SQL error: ${(e as Error).message}`, { cause: e, details: { sql } });
    } finally {
      clearTimeout(timer);
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end().catch(() => undefined);
      release();
    }
  }

  private async checkRole(client: pg.Client): Promise<void> {
    if (this.options.allowPrivilegedRole) return;
    const { rows } = await client.query(ROLE_CHECK);
    const r = rows[0] as
      | { role: string; powerful: boolean; server_roles: boolean; writes: boolean; creates: boolean }
      | undefined;
    if (!r) return;
    const why = r.powerful
      ? 'is a superuser or may create roles, replicate or bypass row security'
      : r.server_roles
        ? 'may read or write server files, run programs or signal other connections'
        : r.writes
          ? "may write lockstep's tables"
          : r.creates
            ? "may create objects in lockstep's schema"
            : undefined;
    if (why)
      throw new HttpError(
        403,
        'E_FORBIDDEN',
        `the SQL endpoint refuses to run as role "${r.role}", which ${why}; create a read-only role with ` +
          '`lockstep db grant-readonly` and start the server with --sql-url (or LOCKSTEP_SQL_URL)',
      );
  }

  async close(): Promise<void> {}
}

/** Cancels a statement from a second connection of the same role (a role may cancel its own backends). */
async function cancel(config: pg.ClientConfig, client: pg.Client): Promise<void> {
  const pid = (client as unknown as { processID: number | null }).processID;
  if (!pid) return;
  const other = new pg.Client({ ...config, connectionTimeoutMillis: 2000 });
  other.on('error', () => undefined);
  try {
    await other.connect();
    await other.query('SELECT pg_cancel_backend($1)', [pid]);
  } catch {
    // the statement's own timeout still stops it
  } finally {
    await other.end().catch(() => undefined);
  }
}
