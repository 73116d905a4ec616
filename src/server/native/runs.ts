import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { paramsKey } from '../../core/identity.ts';
import { MAX_LIMIT, queryRuns, readTags } from '../../search/index.ts';
import { quoteId } from '../../store/driver.ts';
import type { RunRecord, RunWrite } from '../../store/store.ts';
import type { ServerContext, Typed } from '../context.ts';
import { keyOf, seen } from '../idempotency.ts';
import { fromWire, toDisplay } from '../values.ts';
import { deleteRunTags } from './cleanup.ts';
import { insertPoints } from './metrics.ts';
import { listArtifacts, lockOf } from './registry.ts';
import { DateInput, ErrorBody, list, NameParams, RunParams, requireRun, toDate } from './shared.ts';

const Status = z.enum(['pending', 'running', 'done', 'failed']);
const Values = z.record(z.string(), z.unknown());
const Point = z.object({
  key: z.string().min(1).max(250),
  value: z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]),
  step: z.number().int().nonnegative().optional(),
  timestamp: z.number().int().nonnegative().optional(),
});
export const PointsBody = z.array(Point).max(100_000);

const RunInput = z.object({
  id: z.string().min(1).max(256).optional(),
  status: Status.optional(),
  startedAt: DateInput.optional(),
  endedAt: DateInput.optional(),
  error: z.string().nullable().optional(),
  errorStack: z.string().nullable().optional(),
  config: Values.optional(),
  params: Values.optional(),
  fields: Values.optional(),
  metrics: PointsBody.optional(),
  replaceMetrics: z.boolean().optional(),
});

const RunDetail = z.object({
  run: z.object({
    id: z.string(),
    status: z.string(),
    startedAt: z.string().nullable(),
    endedAt: z.string().nullable(),
    error: z.string().nullable(),
    errorStack: z.string().nullable(),
    config: Values,
    params: Values,
    fields: Values,
    tags: z.record(z.string(), z.string()),
  }),
});

export function pointValue(v: number | string): number {
  return typeof v === 'number' ? v : Number(v);
}

export function runJson(r: RunRecord, tags: Record<string, string> = {}) {
  return {
    id: r.id,
    status: r.status,
    startedAt: r.startedAt?.toISOString() ?? null,
    endedAt: r.endedAt?.toISOString() ?? null,
    error: r.error,
    errorStack: r.errorStack,
    config: toDisplay(r.config) as Record<string, unknown>,
    params: toDisplay(r.params) as Record<string, unknown>,
    fields: toDisplay(r.fields) as Record<string, unknown>,
    tags,
  };
}

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
        }),
        response: {
          200: z.object({ total: z.number().nullable(), offset: z.number(), limit: z.number(), runs: z.array(Values) }),
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
      const { total, rows } = await queryRuns(store, exp, {
        filter: q.filter,
        sort: q.sort,
        order: q.order,
        offset,
        limit,
        ...(cols ? { columns: cols } : {}),
        count: q.count !== 'false',
      });
      return { total, offset, limit, runs: rows.map((r) => toDisplay(r) as Record<string, unknown>) };
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
      const keys = await store.driver.all<{ key: string }>(
        'SELECT DISTINCT key FROM metrics WHERE experiment_id = ? AND run_id = ? ORDER BY key',
        [exp.id, run.id],
      );
      const tags = (await readTags(store.driver, exp.id, [run.id])).get(run.id) ?? {};
      return {
        run: runJson(run, tags),
        metricKeys: keys.map((k) => k.key),
        lock: await lockOf(store, run),
        artifacts: await listArtifacts(ctx, exp.name, run.id),
      };
    },
  );

  app.post(
    '/api/v1/experiments/:name/runs',
    {
      schema: {
        tags: ['runs'],
        summary: 'Create or replace runs (upsert by id), with their metric points',
        description:
          'Values are plain JSON, or { "$codec": base64 } for values of the binary codec (dates, bigints, Maps, typed arrays).',
        params: NameParams,
        body: z.object({ runs: z.array(RunInput).min(1).max(10_000) }),
        response: { 200: z.object({ runIds: z.array(z.string()), duplicate: z.boolean().optional() }), 404: ErrorBody },
      },
    },
    async (req) => {
      const exp = await store.requireExperiment(req.params.name);
      const writes: RunWrite[] = req.body.runs.map((r, i) => {
        const params = fromWire(r.params, `runs.${i}.params`);
        return {
          id: r.id ?? randomUUID(),
          status: r.status ?? 'pending',
          startedAt: toDate(r.startedAt),
          endedAt: toDate(r.endedAt),
          error: r.error ?? null,
          errorStack: r.errorStack ?? null,
          paramsKey: paramsKey(params),
          config: fromWire(r.config, `runs.${i}.config`),
          params,
          fields: fromWire(r.fields, `runs.${i}.fields`),
          metrics: (r.metrics ?? []).map((p, j) => ({
            key: p.key,
            step: p.step ?? j,
            timestamp: p.timestamp ?? Date.now(),
            value: pointValue(p.value),
          })),
          replaceMetrics: r.replaceMetrics ?? false,
        };
      });
      // Exactly once: the rows are an upsert (repeating it changes nothing), and
      // the points go in one transaction with the request's key, after the rows.
      const key = keyOf(req.headers);
      const runIds = writes.map((w) => w.id);
      if (await seen(store.driver, key)) return { runIds, duplicate: true };
      await store.writeRuns(
        exp,
        writes.map((w) => ({ ...w, metrics: [] })),
      );
      const points = writes.flatMap((w) => w.metrics.map((p) => ({ ...p, runId: w.id })));
      await insertPoints(store.driver, exp.id, points, key);
      return { runIds };
    },
  );

  app.patch(
    '/api/v1/experiments/:name/runs/:runId',
    {
      schema: {
        tags: ['runs'],
        summary: "Update a run's status, error or times",
        params: RunParams,
        body: z.object({
          status: Status.optional(),
          error: z.string().nullable().optional(),
          errorStack: z.string().nullable().optional(),
          startedAt: DateInput.optional(),
          endedAt: DateInput.optional(),
        }),
        response: { 200: RunDetail, 404: ErrorBody },
      },
    },
    async (req) => {
      const exp = await store.requireExperiment(req.params.name);
      const run = await requireRun(store, exp, req.params.runId);
      const b = req.body;
      const next: RunRecord = {
        ...run,
        status: b.status ?? run.status,
        error: b.error !== undefined ? b.error : run.error,
        errorStack: b.errorStack !== undefined ? b.errorStack : run.errorStack,
        startedAt: b.startedAt !== undefined ? toDate(b.startedAt) : run.startedAt,
        endedAt: b.endedAt !== undefined ? toDate(b.endedAt) : run.endedAt,
      };
      await store.writeRuns(exp, [{ ...next, metrics: [], replaceMetrics: false }]);
      return { run: runJson(next) };
    },
  );

  app.post(
    '/api/v1/experiments/:name/runs/:runId/fields',
    {
      schema: {
        tags: ['runs'],
        summary: "Merge values into a run's fields",
        params: RunParams,
        body: z.object({ fields: Values }),
        response: { 200: RunDetail, 404: ErrorBody },
      },
    },
    async (req) => {
      const exp = await store.requireExperiment(req.params.name);
      const run = await requireRun(store, exp, req.params.runId);
      const next = { ...run, fields: { ...run.fields, ...fromWire(req.body.fields, 'fields') } };
      await store.writeRuns(exp, [{ ...next, metrics: [], replaceMetrics: false }]);
      return { run: runJson(next) };
    },
  );

  const deleteRuns = async (name: string, ids: string[]) => {
    const exp = await store.requireExperiment(name);
    const [row] = await store.driver.all<{ n: number | string }>(
      `SELECT COUNT(*) AS n FROM ${quoteId(exp.tableName)} WHERE run_id IN (${ids.map(() => '?').join(', ')})`,
      ids,
    );
    await store.deleteRuns(exp, ids);
    await deleteRunTags(store, exp.id, ids);
    return { deleted: Number(row?.n ?? 0) };
  };

  app.post(
    '/api/v1/experiments/:name/runs/delete',
    {
      schema: {
        tags: ['runs'],
        summary: 'Delete runs by id',
        params: NameParams,
        body: z.object({ runIds: z.array(z.string().min(1)).min(1).max(10_000) }),
        response: { 200: z.object({ deleted: z.number() }), 404: ErrorBody },
      },
    },
    async (req) => deleteRuns(req.params.name, req.body.runIds),
  );

  app.delete(
    '/api/v1/experiments/:name/runs/:runId',
    {
      schema: {
        tags: ['runs'],
        summary: 'Delete one run',
        params: RunParams,
        response: { 200: z.object({ deleted: z.number() }), 404: ErrorBody },
      },
    },
    async (req) => deleteRuns(req.params.name, [req.params.runId]),
  );
}
