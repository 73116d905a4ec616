import { randomBytes } from 'node:crypto';
import { LockstepError } from '../../errors.ts';
import { quoteId } from '../driver.ts';
import type { PostgresDriver } from './index.ts';

export interface GrantReadOnlyOptions {
  /** The role to create or update (default `lockstep_reader`). */
  role?: string;
  /** Its password; a random one by default, `null` for none (trust or certificate authentication). */
  password?: string | null;
  /** Connections the role may hold at once (default 8). */
  connectionLimit?: number;
  /** A cap on any statement of the role, even outside lockstep (default 60 s). */
  statementTimeoutMs?: number;
}

export interface GrantReadOnlyResult {
  role: string;
  schema: string;
  /** The tables the role may now read. */
  tables: string[];
  /** The URL to give the server's SQL endpoint (`--sql-url`), password included when one was set. */
  url: string;
}

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Provisions the role the SQL endpoint runs as: it may log in and SELECT
 * lockstep's tables in the store's schema (those owned by the owner of
 * `experiments`, and the ones that owner creates later), nothing else. The
 * role is read-only by default, has a statement timeout, no superuser,
 * role-creation, replication or row-security powers, and a connection limit.
 * Run it as the owner of lockstep's tables (or a superuser).
 *
 * @example
 * ```ts
 * const { url } = await grantReadOnly(session.store.driver as PostgresDriver, 'postgres://owner@db/lab?schema=ml');
 * ```
 */
export async function grantReadOnly(
  driver: PostgresDriver,
  storeUrl: string,
  options: GrantReadOnlyOptions = {},
): Promise<GrantReadOnlyResult> {
  const role = options.role ?? 'lockstep_reader';
  if (!ROLE_NAME.test(role))
    throw new LockstepError('E_INPUT', `role "${role}": expected lower-case letters, digits and _ (at most 63)`);
  const limit = options.connectionLimit ?? 8;
  const timeout = options.statementTimeoutMs ?? 60_000;
  if (!Number.isInteger(limit) || limit < 1) throw new LockstepError('E_INPUT', 'connectionLimit must be >= 1');
  const password = options.password === undefined ? randomBytes(18).toString('base64url') : options.password;
  const [where] = await driver.all<{ schema: string; db: string; owner: string | null; me: string }>(
    `SELECT current_schema() AS schema, current_database() AS db, current_user AS me,
       (SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'experiments') AS owner`,
  );
  if (!where?.schema) throw new LockstepError('E_STORE', 'the database has no current schema to grant on');
  if (!where.owner) throw new LockstepError('E_NOT_FOUND', `no lockstep tables in schema "${where.schema}"`);
  const r = quoteId(role);
  const s = quoteId(where.schema);
  const owner = quoteId(where.owner);
  const tables = (
    await driver.all<{ tablename: string }>(
      'SELECT tablename FROM pg_tables WHERE schemaname = ? AND tableowner = ? ORDER BY tablename',
      [where.schema, where.owner],
    )
  ).map((t) => t.tablename);
  await driver.transaction(async (tx) => {
    const [exists] = await tx.all('SELECT 1 FROM pg_roles WHERE rolname = ?', [role]);
    if (!exists) await tx.exec(`CREATE ROLE ${r}`);
    await tx.exec(
      `ALTER ROLE ${r} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS ` +
        `CONNECTION LIMIT ${limit} PASSWORD ${password === null ? 'NULL' : literal(password)}`,
    );
    await tx.exec(`ALTER ROLE ${r} SET default_transaction_read_only = on`);
    await tx.exec(`ALTER ROLE ${r} SET statement_timeout = ${Math.max(1, Math.floor(timeout))}`);
    await tx.exec(`ALTER ROLE ${r} SET search_path = ${s}`);
    await tx.exec(`GRANT CONNECT ON DATABASE ${quoteId(where.db)} TO ${r}`);
    await tx.exec(`GRANT USAGE ON SCHEMA ${s} TO ${r}`);
    for (const t of tables) await tx.exec(`GRANT SELECT ON ${s}.${quoteId(t)} TO ${r}`);
    await tx.exec(`ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${s} GRANT SELECT ON TABLES TO ${r}`);
  });
  const url = new URL(storeUrl);
  url.username = role;
  url.password = password ?? '';
  url.searchParams.set('schema', where.schema);
  return { role, schema: where.schema, tables, url: url.href };
}

/** A string literal for a statement that takes no parameters (ALTER ROLE … PASSWORD). */
function literal(s: string): string {
  if (s.includes('\u0000')) throw new LockstepError('E_INPUT', 'the password contains a NUL character');
  return `'${s.replaceAll("'", "''")}'`;
}
