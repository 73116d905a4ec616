import { z } from 'zod';
import type { ServerContext, Typed } from '../context.ts';
import { metricValue } from './convert.ts';
import { invalid, type RunLocator } from './ids.ts';
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

  /** The run's lockstep artifacts, one directory level at a time as MLflow lists them. */
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
      return {
        root_uri: `${root}/${runId}/artifacts`,
        files: await listLevel(ctx, runId as string, req.query.path ?? ''),
      };
    },
  );
}

/** Entries directly under `dir` among the run's artifacts (names with `/` make directories). */
async function listLevel(ctx: ServerContext, runId: string, dir: string) {
  if (!ctx.session) return [];
  const prefix = dir.replace(/^\/+|\/+$/g, '');
  const list = await ctx.session.artifacts.list(runId).catch(() => []);
  const out = new Map<string, { path: string; is_dir: boolean; file_size?: number }>();
  for (const a of list) {
    if (prefix && !a.name.startsWith(`${prefix}/`)) continue;
    const rest = prefix ? a.name.slice(prefix.length + 1) : a.name;
    const [first, ...more] = rest.split('/');
    const path = prefix ? `${prefix}/${first}` : (first as string);
    if (more.length || a.kind === 'dir') out.set(path, { path, is_dir: true });
    else out.set(path, { path, is_dir: false, file_size: a.size });
  }
  return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
}
