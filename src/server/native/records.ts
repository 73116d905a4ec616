import { z } from 'zod';
import { lifecycle } from '../../remote/records.ts';
import { toWire } from '../../remote/wire.ts';
import { quoteId } from '../../store/driver.ts';
import type { ServerContext, Typed } from '../context.ts';
import { metricValue } from '../mlflow/convert.ts';
import { ErrorBody, list, NameParams, RunParams } from './shared.ts';

const Page = {
  offset: z.coerce.number().int().nonnegative().optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
};

/**
 * Lossless reads for remote sessions: runs with every value in its original
 * type (through the wire encoding) and raw metric points, paged. The UI uses
 * the display endpoints instead.
 */
export function registerRecords(app: Typed, { store }: ServerContext): void {
  app.get(
    '/api/v1/experiments/:name/records',
    {
      schema: {
        tags: ['remote'],
        summary: 'Runs with values in their original types (for remote sessions), paged',
        params: NameParams,
        querystring: z.object({ ...Page, runIds: z.string().optional() }),
        response: {
          200: z.object({ total: z.number(), records: z.array(z.record(z.string(), z.unknown())) }),
          404: ErrorBody,
        },
      },
    },
    async (req) => {
      const exp = await store.requireExperiment(req.params.name);
      const offset = req.query.offset ?? 0;
      const limit = req.query.limit ?? 1000;
      const ids = list(req.query.runIds);
      let page: string[];
      let total: number;
      if (ids) {
        page = ids.slice(offset, offset + limit);
        total = ids.length;
      } else {
        const table = quoteId(exp.tableName);
        const [count] = await store.driver.all<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${table}`);
        total = Number(count?.n ?? 0);
        const rows = await store.driver.all<{ run_id: string }>(
          `SELECT run_id FROM ${table} ORDER BY run_id LIMIT ? OFFSET ?`,
          [limit, offset],
        );
        page = rows.map((r) => r.run_id);
      }
      const records = page.length ? await store.readRuns(exp, { runIds: page }) : [];
      return {
        total,
        records: records.map((r) => ({
          id: r.id,
          status: r.status,
          startedAt: r.startedAt?.toISOString() ?? null,
          endedAt: r.endedAt?.toISOString() ?? null,
          error: r.error,
          errorStack: r.errorStack,
          paramsKey: r.paramsKey,
          config: toWire(r.config),
          params: toWire(r.params),
          fields: toWire(r.fields),
          ...lifecycle(r),
        })),
      };
    },
  );

  app.get(
    '/api/v1/experiments/:name/runs/:runId/points',
    {
      schema: {
        tags: ['remote'],
        summary: "Raw metric points of a run (every key, or one), paged; archive=true: earlier attempts' points",
        params: RunParams,
        querystring: z.object({
          key: z.string().optional(),
          archive: z.enum(['true', 'false']).optional(),
          offset: Page.offset,
          limit: z.coerce.number().int().min(1).max(100_000).optional(),
        }),
        response: {
          200: z.object({
            points: z.array(
              z.object({
                key: z.string(),
                step: z.number(),
                timestamp: z.number(),
                value: z.union([z.number(), z.string()]),
                attempt: z.number(),
              }),
            ),
            more: z.boolean(),
          }),
          404: ErrorBody,
        },
      },
    },
    async (req) => {
      const exp = await store.requireExperiment(req.params.name);
      const { key } = req.query;
      const table = req.query.archive === 'true' ? 'metrics_archive' : 'metrics';
      const offset = req.query.offset ?? 0;
      const limit = req.query.limit ?? 100_000;
      const rows = await store.driver.all<{
        key: string;
        step: number | string;
        timestamp: number | string;
        value: number | null;
        attempt: number | string;
      }>(
        `SELECT key, step, "timestamp", value, attempt FROM ${table} WHERE experiment_id = ? AND run_id = ?${key ? ' AND key = ?' : ''} ORDER BY attempt, key, step, "timestamp" LIMIT ? OFFSET ?`,
        key ? [exp.id, req.params.runId, key, limit + 1, offset] : [exp.id, req.params.runId, limit + 1, offset],
      );
      const more = rows.length > limit;
      return {
        points: rows.slice(0, limit).map((r) => ({
          key: r.key,
          step: Number(r.step),
          timestamp: Number(r.timestamp),
          value: metricValue(r.value),
          attempt: Number(r.attempt),
        })),
        more,
      };
    },
  );
}
