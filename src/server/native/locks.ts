import { z } from 'zod';
import { listLocks } from '../../lock/records.ts';
import type { ServerContext, Typed } from '../context.ts';
import { toDisplay } from '../values.ts';

const MAX_LOCKS = 5000;

const LockJson = z.object({
  id: z.string(),
  runDir: z.string(),
  name: z.string().nullable(),
  parentId: z.string().nullable(),
  active: z.boolean(),
  createdAt: z.string(),
  experiment: z.string().nullable(),
  runId: z.string().nullable(),
  /** the ids of the previous stages this lock consumed */
  prevs: z.array(z.string()),
  lock: z.unknown(),
});

/**
 * The run locks for the lineage graph, oldest first. A database where nothing
 * was ever locked answers an empty list (the UI used to read the table through
 * the SQL endpoint, which answers 400 when it does not exist and 403 on a
 * PostgreSQL server without its read-only role).
 */
export function registerLocks(app: Typed, { store }: ServerContext): void {
  app.get(
    '/api/v1/locks',
    {
      schema: {
        tags: ['locks'],
        summary: 'Run locks (lineage): the newest `limit`, oldest first, superseded ones included',
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(MAX_LOCKS).optional() }),
        response: { 200: z.object({ locks: z.array(LockJson), truncated: z.boolean() }) },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 2000;
      const records = await listLocks(store.driver, { all: true, limit: limit + 1 });
      const truncated = records.length > limit;
      const locks = records
        .slice(0, limit)
        .reverse()
        .map((r) => ({
          id: r.id,
          runDir: r.runDir,
          name: r.name,
          parentId: r.parentId,
          active: r.active,
          createdAt: r.createdAt.toISOString(),
          experiment: r.experiment,
          runId: r.runId,
          prevs: (r.lock.prevs ?? []).map((p) => p.id),
          lock: toDisplay(r.lock),
        }));
      return { locks, truncated };
    },
  );
}
