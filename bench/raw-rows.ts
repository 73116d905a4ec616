// The raw floors' side of "the same writes": lockstep's experiment table (its columns and indexes) and
// the row lockstep writes for a finished run, for the baselines that use better-sqlite3 or pg alone.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type Database from 'better-sqlite3';

/** The statements that create lockstep's table for runs with one param `i` and one field `value`. */
export function lockstepTable(
  table: string,
  types: { text: string; int: string; real: string; date: string },
  value: string,
): string[] {
  const { text, int, real, date } = types;
  return [
    `CREATE TABLE ${table} (run_id ${text} PRIMARY KEY, status ${text} NOT NULL, started_at ${date}, ended_at ${date},
      error ${text}, error_stack ${text}, params_key ${text} NOT NULL, run_attempt ${int} NOT NULL DEFAULT 0,
      run_steps ${text}, run_host ${text}, run_pid ${int}, run_executor ${text}, run_lease_until ${int}, i ${real},
      value ${value})`,
    `CREATE INDEX ${table}_params_key ON ${table} (params_key)`,
    `CREATE INDEX ${table}_status ON ${table} (status)`,
  ];
}

export const SQLITE_TYPES = { text: 'TEXT', int: 'INTEGER', real: 'REAL', date: 'TEXT' };
export const PG_TYPES = { text: 'TEXT', int: 'BIGINT', real: 'DOUBLE PRECISION', date: 'TIMESTAMPTZ' };

const HOST = hostname();

/** The 15 values of run `i`'s row, finished now with `value` as its field. */
export function runRow(i: number, value: unknown, now: Date | string, steps = '["step"]'): unknown[] {
  return [
    randomUUID(),
    'done',
    now,
    now,
    null,
    null,
    `{"i":${i}}`,
    1,
    steps,
    HOST,
    process.pid,
    'inline',
    null,
    i,
    value,
  ];
}

/** Creates the table in a fresh better-sqlite3 database and returns its insert statement. */
export function sqliteTable(db: Database.Database, table: string, value: string): Database.Statement {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  for (const ddl of lockstepTable(table, SQLITE_TYPES, value)) db.exec(ddl);
  return db.prepare(`INSERT INTO ${table} VALUES (${new Array(15).fill('?').join(', ')})`);
}
