import { z } from 'zod';
import { paramsKey } from '../../core/identity.ts';
import { deleteTag, setTags } from '../../search/tags.ts';
import type { ExperimentRecord } from '../../store/store.ts';
import type { ServerContext, Typed } from '../context.ts';
import { keyOf } from '../idempotency.ts';
import { appendPoints } from '../native/metrics.ts';
import { requireRun } from '../native/shared.ts';
import { logBatchValidator } from './batch.ts';
import { invalid, notFound, type RunLocator } from './ids.ts';
import {
  Double,
  Int64,
  Key,
  LogBatch,
  MAX_ENTITIES_PER_BATCH,
  MAX_METRICS_PER_BATCH,
  MAX_PARAM_VALUE,
  MAX_PARAMS_TAGS_PER_BATCH,
  MAX_TAG_VALUE,
  type Metric,
  Millis,
  RunRef,
} from './schemas.ts';

type Params = { key: string; value: string }[];

export function registerMlflowLogging(app: Typed, { store }: ServerContext, runs: RunLocator): void {
  const runIdOf = (ref: { run_id?: string | undefined; run_uuid?: string | undefined }) => ref.run_id ?? ref.run_uuid;

  /** Params are immutable in MLflow: the same value again is fine, a different one is refused. */
  const logParams = async (exp: ExperimentRecord, runId: string, params: Params) => {
    if (params.length === 0) return;
    const run = await requireRun(store, exp, runId);
    const next = { ...run.params };
    for (const p of params) {
      const old = next[p.key];
      if (old !== undefined && String(old) !== p.value) {
        throw invalid(
          `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${String(old)}' for run ID='${runId}'. Attempted logging new value '${p.value}'.`,
        );
      }
      next[p.key] = p.value;
    }
    await store.writeRuns(exp, [
      { ...run, params: next, paramsKey: paramsKey(next), metrics: [], replaceMetrics: false },
    ]);
  };

  const logMetrics = async (
    exp: ExperimentRecord,
    runId: string,
    metrics: z.infer<typeof Metric>[],
    requestKey?: string,
  ) => {
    if (metrics.length === 0) return;
    await appendPoints(store.driver, exp.id, runId, metrics, requestKey);
  };

  const logTags = async (exp: ExperimentRecord, runId: string, tags: { key: string; value: string }[]) => {
    if (tags.length === 0) return;
    await setTags(store.driver, exp.id, runId, Object.fromEntries(tags.map((t) => [t.key, t.value])));
  };

  app.post(
    '/runs/log-metric',
    {
      schema: {
        tags: ['mlflow'],
        body: RunRef.extend({ key: Key, value: Double, timestamp: Millis, step: Int64.optional() }),
      },
    },
    async (req) => {
      const runId = runIdOf(req.body) as string;
      const exp = await runs.locateActive(runId);
      await logMetrics(exp, runId, [req.body], keyOf(req.headers));
      return {};
    },
  );

  app.post(
    '/runs/log-parameter',
    { schema: { tags: ['mlflow'], body: RunRef.extend({ key: Key, value: z.string().max(MAX_PARAM_VALUE) }) } },
    async (req) => {
      const runId = runIdOf(req.body) as string;
      const exp = await runs.locateActive(runId);
      await logParams(exp, runId, [req.body]);
      return {};
    },
  );

  app.post(
    '/runs/set-tag',
    { schema: { tags: ['mlflow'], body: RunRef.extend({ key: Key, value: z.string().max(MAX_TAG_VALUE) }) } },
    async (req) => {
      const runId = runIdOf(req.body) as string;
      const exp = await runs.locateActive(runId);
      await logTags(exp, runId, [req.body]);
      return {};
    },
  );

  app.post('/runs/delete-tag', { schema: { tags: ['mlflow'], body: RunRef.extend({ key: Key }) } }, async (req) => {
    const runId = runIdOf(req.body) as string;
    const exp = await runs.locateActive(runId);
    if (!(await deleteTag(store.driver, exp.id, runId, req.body.key)))
      throw notFound(`No tag with name: ${req.body.key} in run with id ${runId}`);
    return {};
  });

  app.post(
    '/runs/log-batch',
    {
      config: { checksInput: true },
      validatorCompiler: logBatchValidator,
      schema: {
        tags: ['mlflow'],
        description: `At most ${MAX_METRICS_PER_BATCH} metrics, ${MAX_PARAMS_TAGS_PER_BATCH} params and ${MAX_PARAMS_TAGS_PER_BATCH} tags, ${MAX_ENTITIES_PER_BATCH} in all (MLflow's limits).`,
        body: LogBatch,
      },
    },
    async (req) => {
      const b = req.body;
      const total = (b.metrics?.length ?? 0) + (b.params?.length ?? 0) + (b.tags?.length ?? 0);
      if (total > MAX_ENTITIES_PER_BATCH)
        throw invalid(
          `A batch logging request can contain at most ${MAX_ENTITIES_PER_BATCH} metrics, params, and tags in total. Got ${total}.`,
        );
      const keys = new Map<string, string>();
      for (const p of b.params ?? []) {
        const seen = keys.get(p.key);
        if (seen !== undefined && seen !== p.value)
          throw invalid(`Duplicate parameter keys have been submitted: '${p.key}' with different values`);
        keys.set(p.key, p.value);
      }
      const runId = runIdOf(b) as string;
      const exp = await runs.locateActive(runId);
      await logParams(exp, runId, b.params ?? []);
      await logTags(exp, runId, b.tags ?? []);
      await logMetrics(exp, runId, b.metrics ?? [], keyOf(req.headers));
      return {};
    },
  );
}
