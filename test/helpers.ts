// Shared test setup: every store test runs on SQLite and on PostgreSQL.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import pg from 'pg';
import { createSession, type Session } from '../src/index.ts';
import { PostgresDriver } from '../src/store/postgres/index.ts';
import { grantReadOnly } from '../src/store/postgres/readonly.ts';

export const PG_URL = process.env.LOCKSTEP_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

let pgReachable: Promise<boolean> | undefined;
/** Whether PostgreSQL answers; under CI=true an unreachable server is an error, not a skip. */
export function postgresAvailable(): Promise<boolean> {
  pgReachable ??= (async () => {
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.end();
      return true;
    } catch (e) {
      const msg = `PostgreSQL at ${PG_URL} is unreachable (${(e as Error).message})`;
      if (process.env.CI === 'true') throw new Error(`${msg}: CI requires it`);
      console.error(`\n!!! ${msg}: the PostgreSQL half of the suite is SKIPPED !!!\n`);
      return false;
    }
  })();
  return pgReachable;
}

export function tempDir(prefix = 'lockstep-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A fresh PostgreSQL schema in the test database; drop it with dropSchema. */
export function pgSchemaUrl(): { url: string; schema: string } {
  const schema = `t_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  return { url: `${PG_URL}?schema=${schema}`, schema };
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  // the read-only role of the schema's SQL endpoint, when a test made one (see sqlReader)
  const role = readerRole(schema);
  const { rows } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  if (rows.length) {
    await client.query(`DROP OWNED BY "${role}"`);
    await client.query(`DROP ROLE "${role}"`);
  }
  await client.end();
}

const readerRole = (schema: string) => `r_${schema}`;

/**
 * The server's `sql` option for a session: on PostgreSQL, a read-only role
 * for the session's schema (dropped with the schema), since the SQL endpoint
 * refuses the tests' superuser.
 */
export async function sqlReader(session: Session): Promise<{ url?: string }> {
  const driver = session.store.driver;
  if (!(driver instanceof PostgresDriver) || !driver.schema) return {};
  const { url } = await grantReadOnly(driver, `${PG_URL}?schema=${driver.schema}`, {
    role: readerRole(driver.schema),
    password: null,
  });
  return { url };
}

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** A URL for a fresh, empty database. */
  fresh(): Promise<string>;
  cleanup(): Promise<void>;
}

/** The backends every store test loops over (Kysely's test-setup idea). */
export function backends(): Backend[] {
  const schemas: string[] = [];
  return [
    {
      name: 'sqlite',
      fresh: async () => join(tempDir(), 'test.db'),
      cleanup: async () => undefined,
    },
    {
      name: 'postgres',
      fresh: async () => {
        const { url, schema } = pgSchemaUrl();
        schemas.push(schema);
        return url;
      },
      cleanup: async () => {
        for (const s of schemas.splice(0)) await dropSchema(s);
      },
    },
  ];
}

/** Opens a session on a fresh database of the backend; returns undefined when the backend is unavailable (outside CI). */
export async function freshSession(backend: Backend): Promise<Session | undefined> {
  if (backend.name === 'postgres' && !(await postgresAvailable())) return undefined;
  // a PostgreSQL session keeps blobs under the working directory by default: never the checkout's
  const dir = backend.name === 'postgres' ? tempDir() : undefined;
  return createSession(
    await backend.fresh(),
    dir ? { artifacts: { blobs: join(dir, 'blobs'), cache: join(dir, 'cache') } } : {},
  );
}

/**
 * Opens a fresh session of the backend, runs `fn` with it and closes it; does
 * nothing when the backend is unavailable (outside CI).
 */
export async function withFreshSession(backend: Backend, fn: (s: Session) => Promise<void>): Promise<void> {
  const s = await freshSession(backend);
  if (!s) return;
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

const exec = promisify(execFile);
export const ROOT = join(import.meta.dirname, '..');

/** Runs the CLI from the sources through a pipe (no terminal), returning output and exit code. */
export async function runCli(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await exec(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), ...args],
      {
        cwd: ROOT,
        env: { ...process.env, ...env },
      },
    );
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** A writable stream that keeps what is written to it (progress output in tests). */
export function capture(): { stream: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += chunk;
      cb();
    },
  }) as unknown as NodeJS.WriteStream;
  return { stream, text: () => text };
}
