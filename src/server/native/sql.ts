import { z } from 'zod';
import { LockstepError } from '../../errors.ts';
import { SqliteDriver } from '../../store/sqlite/index.ts';
import type { Store } from '../../store/store.ts';
import type { ServerContext, Typed } from '../context.ts';
import { sqliteReadOnly } from '../sql-worker.ts';
import { toDisplay } from '../values.ts';
import { ErrorBody } from './shared.ts';

/** A SQLite database in a file can be opened a second time, read-only, in a worker. */
function sqliteFile(store: Store): string | undefined {
  const d = store.driver;
  return d instanceof SqliteDriver && d.location !== ':memory:' && d.location !== '' ? d.location : undefined;
}

/**
 * Read-only SQL: on a SQLite file, a read-only connection in a worker thread
 * that is terminated at the timeout; PostgreSQL runs the query in a READ ONLY
 * transaction with a statement timeout. One row more
 * than the cap is fetched to tell whether the answer was truncated.
 */
export function registerSql(app: Typed, { store, sql: limits }: ServerContext): void {
  app.post(
    '/api/v1/sql',
    {
      config: { access: 'read' },
      schema: {
        tags: ['sql'],
        summary: 'Run a read-only SQL query',
        description: `Placeholders are the backend's own (? on SQLite, $1 on PostgreSQL). At most ${limits.maxRows} rows.`,
        body: z.object({
          sql: z.string().min(1).max(100_000),
          params: z
            .array(z.union([z.string(), z.number(), z.boolean(), z.null()]))
            .max(1000)
            .optional(),
          maxRows: z.number().int().min(1).max(limits.maxRows).optional(),
        }),
        response: {
          200: z.object({
            columns: z.array(z.string()),
            rows: z.array(z.array(z.unknown())),
            truncated: z.boolean(),
            elapsedMs: z.number(),
          }),
          400: ErrorBody,
        },
      },
    },
    async (req) => {
      const max = req.body.maxRows ?? Math.min(1000, limits.maxRows);
      const started = performance.now();
      const options = { timeoutMs: limits.timeoutMs, maxRows: max + 1 };
      const file = sqliteFile(store);
      const rows = file
        ? await sqliteReadOnly(file, req.body.sql, req.body.params ?? [], options)
        : await store.driver.queryReadOnly(req.body.sql, req.body.params ?? [], options);
      const elapsedMs = performance.now() - started;
      if (elapsedMs > limits.timeoutMs)
        throw new LockstepError('E_SQL', `the query ran longer than ${limits.timeoutMs} ms; add a LIMIT or a WHERE`);
      const truncated = rows.length > max;
      const page = truncated ? rows.slice(0, max) : rows;
      const columns = page[0] ? Object.keys(page[0]) : [];
      return {
        columns,
        rows: page.map((r) => columns.map((c) => toDisplay(r[c]))),
        truncated,
        elapsedMs: Math.round(elapsedMs * 100) / 100,
      };
    },
  );
}
