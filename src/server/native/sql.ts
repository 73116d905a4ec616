import { z } from 'zod';
import { LockstepError } from '../../errors.ts';
import type { ServerContext, Typed } from '../context.ts';
import { toDisplay } from '../values.ts';
import { ErrorBody } from './shared.ts';

/**
 * Read-only SQL through the server's SQL runner (src/server/sql): on a
 * SQLite file, a read-only connection in a child process killed at the
 * timeout; on PostgreSQL, one statement on a connection of its own, as a
 * read-only role, in a read-only transaction. One row more than the cap is
 * fetched to tell whether the answer was truncated.
 */
export function registerSql(app: Typed, { sql: limits, sqlRunner }: ServerContext): void {
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
          403: ErrorBody,
        },
      },
    },
    async (req) => {
      const max = req.body.maxRows ?? Math.min(1000, limits.maxRows);
      const started = performance.now();
      const options = { timeoutMs: limits.timeoutMs, maxRows: max + 1 };
      const rows = await sqlRunner.run(req.body.sql, req.body.params ?? [], options);
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
