import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { paramsKey } from '../../core/identity.ts';
import { quoteId } from '../../store/driver.ts';
import type { RunRecord, RunWrite } from '../../store/store.ts';
import type { ServerContext, Typed } from '../context.ts';
import { firstTime, keyOf, seen } from '../idempotency.ts';
import { fromWire } from '../values.ts';
import { deleteRunTags } from './cleanup.ts';
import { pointValue, RunDetail, RunInput, runJson, Status, Values } from './run-schemas.ts';
import { DateInput, ErrorBody, NameParams, RunParams, requireRun, toDate } from './shared.ts';

/** Creating, updating and deleting runs. */
export function registerRunWrites(app: Typed, ctx: ServerContext): void {
  const { store } = ctx;
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
          attempt: r.attempt ?? 1,
          steps: r.steps ?? null,
          host: r.host ?? null,
          pid: r.pid ?? null,
          executor: r.executor ?? null,
          leaseUntil: r.leaseUntil ?? null,
          ...(r.archiveKeys ? { archiveKeys: r.archiveKeys } : {}),
          ...(r.pointsOnly ? { pointsOnly: true } : {}),
        };
      });
      // Exactly once: the rows, the points and the request's key in one transaction.
      const key = keyOf(req.headers);
      const runIds = writes.map((w) => w.id);
      if (await seen(store.driver, key)) return { runIds, duplicate: true };
      const wrote = await store.writeRuns(exp, writes, key ? { guard: (tx) => firstTime(tx, key) } : {});
      if (!wrote) return { runIds, duplicate: true };
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
