import { z } from 'zod';
import type { ServerContext, Typed } from '../context.ts';
import { listLevel, safePath } from './artifact-paths.ts';
import { hubOf } from './artifacts.ts';
import { metricValue } from './convert.ts';
import { invalid, mlflowState, type RunLocator } from './ids.ts';
import { decodeToken, encodeToken } from './paging.ts';
import { Int64, RunRef } from './schemas.ts';

export function registerMlflowHistory(app: Typed, ctx: ServerContext, runs: RunLocator): void {
  const { store } = ctx;
  app.get(
    '/metrics/get-history',
    {
      schema: {
        tags: ['mlflow'],
        querystring: RunRef.extend({
          metric_key: z.string().min(1),
          max_results: Int64.optional(),
          page_token: z.string().optional(),
        }),
      },
    },
    async (req) => {
      const q = req.query;
      const runId = q.run_id ?? q.run_uuid;
      const exp = await runs.locate(runId);
      const max = q.max_results ?? 25_000;
      if (max < 1 || max > 25_000) throw invalid(`max_results must be between 1 and 25000, got ${max}`);
      const offset = decodeToken(q.page_token);
      const rows = await store.driver.all<{ step: number | string; timestamp: number | string; value: number | null }>(
        'SELECT step, "timestamp", value FROM metrics WHERE experiment_id = ? AND run_id = ? AND key = ? ORDER BY step, "timestamp" LIMIT ? OFFSET ?',
        [exp.id, runId, q.metric_key, max + 1, offset],
      );
      const page = rows.slice(0, max);
      return {
        metrics: page.map((r) => ({
          key: q.metric_key,
          value: metricValue(r.value),
          timestamp: Number(r.timestamp),
          step: Number(r.step),
        })),
        ...(rows.length > max ? { next_page_token: encodeToken(offset + max) } : {}),
      };
    },
  );

  /**
   * Several runs' history of one metric, sampled to at most `max_results`
   * steps in a range (the steps that exist, evenly; each run's first and
   * last step kept), as MLflow's web UI charts it.
   */
  app.get(
    '/metrics/get-history-bulk-interval',
    {
      schema: {
        tags: ['mlflow'],
        querystring: z.object({
          run_ids: z.union([z.array(z.string().min(1)), z.string().min(1)]),
          metric_key: z.string().min(1),
          start_step: Int64.optional(),
          end_step: Int64.optional(),
          max_results: Int64.optional(),
        }),
      },
    },
    async (req) => {
      const q = req.query;
      const ids = typeof q.run_ids === 'string' ? [q.run_ids] : q.run_ids;
      if (ids.length > 100)
        throw invalid(
          `GetMetricHistoryBulkInterval request must specify at most 100 run_ids. Received ${ids.length} run_ids.`,
        );
      const max = q.max_results ?? 2500;
      if (max < 1 || max > 2500) throw invalid('max_results must be between 1 and 2500.');
      if ((q.start_step === undefined) !== (q.end_step === undefined))
        throw invalid('If either start step or end step are specified, both must be specified.');
      if (q.start_step !== undefined && q.end_step !== undefined && q.start_step > q.end_step)
        throw invalid(
          `end_step must be greater than start_step. Found start_step=${q.start_step} and end_step=${q.end_step}.`,
        );
      const histories = [];
      for (const runId of ids) {
        const exp = await runs.locate(runId);
        const rows = await store.driver.all<{ step: unknown; timestamp: unknown; value: number | null }>(
          'SELECT step, "timestamp", value FROM metrics WHERE experiment_id = ? AND run_id = ? AND key = ? ORDER BY step, "timestamp"',
          [exp.id, runId, q.metric_key],
        );
        histories.push({ runId, points: rows.map((r) => ({ ...r, step: Number(r.step) })) });
      }
      const steps = sampleSteps(
        histories.map((h) => h.points.map((p) => p.step)),
        max,
        q.start_step,
        q.end_step,
      );
      return {
        metrics: histories.flatMap(({ runId, points }) =>
          points
            .filter((p) => steps.has(p.step))
            .map((p) => ({
              key: q.metric_key,
              value: metricValue(p.value),
              timestamp: Number(p.timestamp),
              step: p.step,
              run_id: runId,
            })),
        ),
      };
    },
  );

  /** The run's artifacts, one directory level at a time as MLflow lists them (paths from the run's root). */
  app.get(
    '/artifacts/list',
    {
      schema: {
        tags: ['mlflow'],
        querystring: RunRef.extend({ path: z.string().optional(), page_token: z.string().optional() }),
      },
    },
    async (req) => {
      const runId = req.query.run_id ?? req.query.run_uuid;
      const dir = safePath(req.query.path ?? '');
      const exp = await runs.locate(runId);
      const hub = await hubOf(ctx);
      return {
        root_uri: `${mlflowState(exp).artifactLocation}/${runId}/artifacts`,
        files: listLevel(await hub.artifacts.allFiles(runId as string), dir),
      };
    },
  );
}

/** MLflow's sampling of steps (mlflow/store/tracking/abstract_store.py get_metric_history_bulk_interval). */
export function sampleSteps(runs: number[][], max: number, start?: number, end?: number): Set<number> {
  const all = [...new Set(runs.flat())].sort((a, b) => a - b);
  const from = start ?? 0;
  const to = end ?? all[all.length - 1] ?? 0;
  const inRange = all.filter((s) => s >= from && s <= to);
  const out = new Set<number>();
  if (inRange.length <= max) for (const s of inRange) out.add(s);
  else {
    const interval = inRange.length / max;
    for (let i = 0; i < max; i++) out.add(inRange[Math.floor(i * interval)] as number);
    out.add(inRange[inRange.length - 1] as number);
  }
  // each run's steps come sorted: its first and last step are its min and max
  for (const run of runs) {
    if (!run.length) continue;
    for (const s of [run[0] as number, run[run.length - 1] as number]) if (s >= from && s <= to) out.add(s);
  }
  return out;
}
