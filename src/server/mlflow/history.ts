import { z } from 'zod';
import type { ServerContext, Typed } from '../context.ts';
import { metricValue } from './convert.ts';
import { invalid, type RunLocator } from './ids.ts';
import { decodeToken, encodeToken } from './paging.ts';
import { Int64, RunRef } from './schemas.ts';

export function registerMlflowHistory(app: Typed, { store }: ServerContext, runs: RunLocator): void {
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

  /** Artifacts are not stored by this server yet: the listing is honest and empty. */
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
      const exp = await runs.locate(runId);
      const root =
        (exp.fields.mlflow as { artifactLocation?: string } | undefined)?.artifactLocation ??
        `mlflow-artifacts:/${exp.id}`;
      return { root_uri: `${root}/${runId}/artifacts`, files: [] };
    },
  );
}
