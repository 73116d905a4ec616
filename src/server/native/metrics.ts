import { z } from 'zod';
import { LockstepError } from '../../errors.ts';
import type { Driver } from '../../store/driver.ts';
import { downsampleSeries, type SeriesPoint as StoredPoint } from '../../store/series.ts';
import type { ServerContext, Typed } from '../context.ts';
import { keyOf, seen } from '../idempotency.ts';
import { toDisplay } from '../values.ts';
import { type PointIn, packPoints } from './point-batch.ts';
import { pointWriter } from './point-writer.ts';
import { PointsBody, pointValue } from './run-schemas.ts';
import { ErrorBody, list, NameParams, RunParams, runExists } from './shared.ts';

const SeriesPoint = z.object({
  step: z.number(),
  timestamp: z.number(),
  value: z.union([z.number(), z.string(), z.null()]),
});
/** Non-finite values travel as "Infinity"/"-Infinity" (JSON has no such numbers). */
const display = (p: StoredPoint) => ({
  step: p.step,
  timestamp: p.timestamp,
  value: toDisplay(p.value) as number | string | null,
});
const MaxPoints = z.coerce.number().int().min(4).max(100_000).optional();

/**
 * Appends points to one run's series in one transaction together with the
 * request's idempotency key, so a retried request stores them once. Answers
 * false (and writes nothing) for a key already applied.
 */
export async function appendPoints(
  driver: Driver,
  experimentId: string,
  runId: string,
  points: readonly PointIn[],
  requestKey?: string,
): Promise<boolean> {
  if (await seen(driver, requestKey)) return false;
  return pointWriter(driver).submit({ experimentId, runId, points: packPoints(points), key: requestKey });
}

export function registerMetrics(app: Typed, { store }: ServerContext): void {
  app.get(
    '/api/v1/experiments/:name/runs/:runId/metrics/:key',
    {
      schema: {
        tags: ['metrics'],
        summary: 'A metric series, with a step range and downsampling',
        params: RunParams.extend({ key: z.string().min(1).max(250) }),
        querystring: z.object({
          minStep: z.coerce.number().int().optional(),
          maxStep: z.coerce.number().int().optional(),
          maxPoints: MaxPoints,
        }),
        response: {
          200: z.object({ key: z.string(), points: z.array(SeriesPoint), downsampled: z.boolean(), total: z.number() }),
          404: ErrorBody,
        },
      },
    },
    async (req) => {
      const exp = await store.requireExperiment(req.params.name);
      if (!(await runExists(store, exp, req.params.runId)))
        throw new LockstepError('E_NOT_FOUND', `experiment "${exp.name}" has no run "${req.params.runId}"`);
      const { minStep, maxStep } = req.query;
      const ref = { experimentId: exp.id, runId: req.params.runId, key: req.params.key, minStep, maxStep };
      const { points, downsampled, total } = await downsampleSeries(store.driver, ref, req.query.maxPoints ?? 2000);
      return { key: req.params.key, points: points.map(display), downsampled, total };
    },
  );

  app.get(
    '/api/v1/experiments/:name/metrics',
    {
      schema: {
        tags: ['metrics'],
        summary: 'One metric of several runs (for comparing)',
        params: NameParams,
        querystring: z.object({ key: z.string().min(1).max(250), runIds: z.string().min(1), maxPoints: MaxPoints }),
        response: { 200: z.object({ series: z.array(z.object({ runId: z.string(), points: z.array(SeriesPoint) })) }) },
      },
    },
    async (req) => {
      const exp = await store.requireExperiment(req.params.name);
      const ids = list(req.query.runIds) ?? [];
      if (ids.length > 100) throw new LockstepError('E_INPUT', `at most 100 runIds at a time, got ${ids.length}`);
      const out = [];
      for (const runId of ids) {
        const ref = { experimentId: exp.id, runId, key: req.query.key };
        const { points } = await downsampleSeries(store.driver, ref, req.query.maxPoints ?? 2000);
        out.push({ runId, points: points.map(display) });
      }
      return { series: out };
    },
  );

  app.get(
    '/api/v1/experiments/:name/metric-keys',
    {
      schema: {
        tags: ['metrics'],
        summary: 'Every metric key logged in the experiment',
        params: NameParams,
        response: { 200: z.object({ keys: z.array(z.string()) }) },
      },
    },
    async (req) => {
      const exp = await store.requireExperiment(req.params.name);
      const rows = await store.driver.all<{ key: string }>(
        'SELECT DISTINCT key FROM metrics WHERE experiment_id = ? ORDER BY key',
        [exp.id],
      );
      return { keys: rows.map((r) => r.key) };
    },
  );

  app.post(
    '/api/v1/experiments/:name/runs/:runId/metrics',
    {
      schema: {
        tags: ['metrics'],
        summary: 'Log a batch of metric points to a run',
        params: RunParams,
        body: z.object({ points: PointsBody }),
        response: { 200: z.object({ stored: z.number(), duplicate: z.boolean().optional() }), 404: ErrorBody },
      },
    },
    async (req) => {
      const exp = await store.requireExperiment(req.params.name);
      if (!(await runExists(store, exp, req.params.runId)))
        throw new LockstepError('E_NOT_FOUND', `experiment "${exp.name}" has no run "${req.params.runId}"`);
      const now = Date.now();
      const points = req.body.points.map((p, i) => ({
        key: p.key,
        value: pointValue(p.value),
        step: p.step ?? i,
        timestamp: p.timestamp ?? now,
      }));
      const wrote = await appendPoints(store.driver, exp.id, req.params.runId, points, keyOf(req.headers));
      return wrote ? { stored: points.length } : { stored: 0, duplicate: true };
    },
  );
}
