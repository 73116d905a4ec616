import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { LockstepError } from '../../errors.ts';
import { normaliseInteger, type Row } from '../../store/driver.ts';

/**
 * The child's body, plain JavaScript: its own read-only connection to the
 * SQLite file, so a runaway query blocks neither the server's event loop nor
 * its writes. A child process rather than a worker thread because a query
 * stuck inside SQLite never returns to JavaScript, so only killing the
 * process stops it (better-sqlite3 has no interrupt).
 */
const BODY = `
process.once('message', (job) => {
  let db;
  try {
    const Database = require(job.module);
    db = new Database(job.path, { readonly: true, fileMustExist: true });
    db.pragma('query_only = ON');
    const stmt = db.prepare(job.sql);
    if (!stmt.readonly || !stmt.reader) throw new Error('only statements that read are allowed here (SELECT, WITH …, EXPLAIN)');
    stmt.safeIntegers(true);
    const rows = [];
    for (const row of stmt.iterate(...job.params)) {
      rows.push(row);
      if (rows.length >= job.maxRows) break;
    }
    process.send({ rows }, () => process.exit(0));
  } catch (e) {
    process.send({ error: String((e && e.message) || e) }, () => process.exit(0));
  } finally {
    if (db) db.close();
  }
});
`;

const sqliteModule = createRequire(import.meta.url).resolve('better-sqlite3');

/** Runs a user's read-only query on a SQLite file in a child process, killed after `timeoutMs`. */
export function sqliteReadOnly(
  path: string,
  sql: string,
  params: readonly unknown[],
  options: { timeoutMs: number; maxRows: number },
): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', BODY], {
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      serialization: 'advanced', // bigints and Buffers travel as they are
    });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
      fn();
    };
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(
            new LockstepError(
              'E_SQL',
              `the query ran longer than ${options.timeoutMs} ms and was stopped; add a LIMIT or a WHERE`,
            ),
          ),
        ),
      options.timeoutMs,
    );
    child.once('message', (msg: { rows?: Row[]; error?: string }) =>
      finish(() => {
        if (msg.error !== undefined)
          return reject(new LockstepError('E_SQL', `SQL error: ${msg.error}`, { details: { sql } }));
        const rows = msg.rows ?? [];
        for (const row of rows) {
          for (const k in row) {
            const v = row[k];
            if (typeof v === 'bigint') row[k] = normaliseInteger(v);
          }
        }
        resolve(rows);
      }),
    );
    child.once('error', (e) =>
      finish(() => reject(new LockstepError('E_UNAVAILABLE', `cannot run the query: ${e.message}`))),
    );
    child.once('exit', (code) =>
      finish(() => reject(new LockstepError('E_SQL', `the query process ended (code ${code}) without an answer`))),
    );
    child.send({ module: sqliteModule, path, sql, params, maxRows: options.maxRows });
  });
}
