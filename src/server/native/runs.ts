import { z } from 'zod';
import { MAX_LIMIT, queryRuns, readTags } from '../../search/index.ts';
import { runMetricKeys } from '../../store/metric-summary.ts';
import type { ServerContext, Typed } from '../context.ts';
import { toDisplay } from '../values.ts';
import { listArtifacts, lockOf } from './registry.ts';
import { RunDetail, runJson, Values } from './run-schemas.ts';
import { ErrorBody, list, NameParams, RunParams, requireRun } from './shared.ts';

export function registerRuns(app: Typed, ctx: ServerContext): void {
  const { store } = ctx;
  app.get(
    '/api/v1/experiments/:name/runs',
    {
      schema: {
        tags: ['runs'],
        summary: 'Search runs: filter (search grammar), sort, page',
        params: NameParams,
        querystring: z.object({
          filter: z.string().max(10_000).optional(),
          sort: z.string().max(500).optional(),
          order: z.enum(['asc', 'desc']).optional(),
          offset: z.coerce.number().int().nonnegative().optional(),
          limit: z.coerce.number().int().min(0).max(MAX_LIMIT).optional(),
          columns: z.string().max(10_000).optional(),
          count: z.enum(['true', 'false']).optional(),
          after: z.string().max(2000).optional(),
        }),
        response: {
          200: z.object({
            total: z.number().nullable(),
            offset: z.number(),
            limit: z.number(),
            runs: z.array(Values),
            next: z.string().nullable(),
          }),
          400: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (req) => {
      const exp = await store.requireExperiment(req.params.name);
      const q = req.query;
      const offset = q.offset ?? 0;
      const limit = q.limit ?? 100;
      const cols = list(q.columns);
      const { total, rows, next } = await queryRuns(store, exp, {
        filter: q.filter,
        sort: q.sort,
        order: q.order,
        offset,
        limit,
        ...(cols ? { columns: cols } : {}),
        count: q.count !== 'false',
        ...(q.after ? { after: q.after } : {}),
      });
      return { total, offset, limit, runs: rows.map((r) => toDisplay(r) as Record<string, unknown>), next };
    },
  );

  app.get(
    '/api/v1/experiments/:name/runs/:runId',
    {
      schema: {
        tags: ['runs'],
        summary: 'One run: config, params, fields, tags, metric keys',
        params: RunParams,
        response: {
          200: RunDetail.extend({
            metricKeys: z.array(z.string()),
            lock: z.unknown(),
            artifacts: z.array(z.unknown()),
          }),
          404: ErrorBody,
        },
      },
    },
    async (req) => {
      const exp = await store.requireExperiment(req.params.name);
      const run = await requireRun(store, exp, req.params.runId);
      const keys = await runMetricKeys(store.driver, exp.id, run.id);
      const tags = (await readTags(store.driver, exp.id, [run.id])).get(run.id) ?? {};
      return {
        run: runJson(run, tags),
        metricKeys: keys,
        lock: await lockOf(store, run),
        artifacts: await listArtifacts(ctx, exp.name, run.id),
      };
    },
  );
}
