import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { LockstepError } from '../errors.ts';
import type { Session } from '../session.ts';
import { VERSION } from '../version.ts';
import type { ServeState } from './app.ts';
import { datasetTable } from './data.ts';
import { evaluateModel } from './evaluate.ts';
import { predict } from './predict.ts';
import { planRetrain, retrain } from './retrain.ts';
import * as s from './schemas.ts';

const JSON_TYPE = 'application/json; charset=utf-8';

/** The Fastify instance with zod schemas as its type provider. */
export type Typed = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** Every route of the serving API. */
export function registerModelRoutes(typed: Typed, session: Session, state: ServeState): void {
  const { served, cache, jobs, batcher } = state;

  typed.post(
    '/predict',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Predict one instance or a batch',
        description: s.predictDescription(served.model.instanceDoc()),
        body: s.predictBody(served.model.instanceDoc()),
        response: { 200: s.predictResponseFor(served.model.instanceDoc()), 422: s.errorResponse },
      },
      // validated by hand from the model's input schema (see predict.ts); the zod schemas document the API
      validatorCompiler: () => (data: unknown) => ({ value: data }),
      serializerCompiler: () => (data: unknown) => (typeof data === 'string' ? data : JSON.stringify(data)),
    },
    async (req, reply) => {
      const answer = await predict(served, cache, batcher, req.body);
      (reply as unknown as { cacheState?: string }).cacheState = answer.cache ?? undefined;
      reply.code(answer.status as 200).header('content-type', JSON_TYPE);
      return answer.json as never;
    },
  );

  typed.get(
    '/cache',
    { schema: { summary: 'Prediction cache size and hit/miss counts', response: { 200: s.cacheStats } } },
    async () => cache.stats(),
  );
  typed.delete(
    '/cache',
    {
      schema: {
        summary: 'Empty the prediction cache (the counts stay)',
        response: { 200: s.cacheStats.extend({ cleared: z.number().int() }) },
      },
    },
    async () => {
      const cleared = cache.clear();
      return { ...cache.stats(), cleared };
    },
  );

  typed.post(
    '/retrain',
    {
      schema: {
        summary: 'Train a new version in the background',
        description:
          'Checks the request (algorithm, parameters, dataset: a 422 or 404 names the field), then starts a tracked training run (experiment `retrain-<model>`) that registers a new version and moves the served alias to it when its cross-validated accuracy is not worse than the served version’s (equal within 1e-9 counts as not worse), or with `force`. Retrains run one at a time: a second one waits with status `queued`. Poll `GET /jobs/{id}`.',
        body: s.retrainBody,
        response: { 202: s.job },
      },
    },
    async (req, reply) => {
      // checked before the 202: a bad field is the caller's 422 now, not a failed job later
      const plan = await planRetrain(session, served, req.body);
      const job = jobs.submit('retrain', async () => {
        const result = await retrain(session, served, plan);
        if (result.promoted && result.serving === result.newVersion) cache.clear();
        return result;
      });
      reply.code(202).header('location', `/jobs/${job.id}`);
      return job;
    },
  );

  typed.get(
    '/jobs/:id',
    {
      schema: {
        summary: 'Status of a background job',
        params: z.object({ id: z.string() }),
        response: { 200: s.job, 404: s.errorResponse },
      },
    },
    async (req) => {
      const job = jobs.get(req.params.id);
      if (!job)
        throw new LockstepError(
          'E_NOT_FOUND',
          `no job ${req.params.id} (jobs are kept in memory while the server runs)`,
        );
      return job;
    },
  );

  typed.post(
    '/evaluate',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Metrics of the served version on a registered dataset',
        description:
          'Classifiers: accuracy, macro F1, per-class precision/recall/F1 and the confusion matrix. Models that give one number per instance: RMSE, MAE and R². Works for models lockstep did not train (ONNX) when their inputs are named columns.',
        body: s.evaluateBody,
        response: {
          200: z.object({
            model: z.string(),
            version: z.number().int(),
            dataset: z.object({ name: z.string(), version: z.string(), digest: z.string() }),
            metrics: z.union([s.classificationMetrics, s.regressionMetrics]),
          }),
        },
      },
    },
    async (req) => {
      const model = served.model;
      const target = req.body.target ?? model.target;
      if (!target)
        throw new LockstepError('E_INPUT', 'target: the model records no target column; give "target"', {
          details: { field: 'target' },
        });
      const info = await session.datasets.get(req.body.dataset, req.body.version);
      const path = await session.datasets.fetch(info.name, info.version);
      return {
        model: served.name,
        version: model.version.version,
        dataset: { name: info.name, version: info.version, digest: info.digest },
        metrics: await evaluateModel(model, await datasetTable(path, info.name), target),
      };
    },
  );

  typed.get(
    '/models',
    {
      schema: {
        summary: 'The versions of the served model, with aliases and metrics',
        response: {
          200: z.object({
            name: z.string(),
            uri: z.string(),
            serving: z.number().int(),
            aliases: z.record(z.string(), z.number().int()),
            versions: z.array(
              z.object({
                version: z.number().int(),
                format: z.string(),
                algorithm: z.string(),
                aliases: z.array(z.string()),
                metrics: z.record(z.string(), z.number()),
                tags: z.record(z.string(), z.string()),
                runId: z.string().nullable(),
                features: z.array(z.string()),
                labels: z.array(z.string()),
                createdAt: z.string(),
              }),
            ),
          }),
        },
      },
    },
    async () => {
      const versions = await session.models.versions(served.name);
      const aliases: Record<string, number> = {};
      for (const v of versions) for (const a of v.aliases) aliases[a] = v.version;
      return {
        name: served.name,
        uri: served.uri,
        serving: served.version,
        aliases,
        versions: versions.map((v) => ({
          version: v.version,
          format: v.format,
          algorithm: v.algorithm,
          aliases: v.aliases,
          metrics: v.metrics,
          tags: v.tags,
          runId: v.runId,
          features: v.inputSchema.features.map((f) => f.name),
          labels: v.labels,
          createdAt: v.createdAt.toISOString(),
        })),
      };
    },
  );

  typed.get(
    '/health',
    {
      config: { public: true },
      schema: {
        summary: 'Liveness and the served version',
        response: {
          200: z.object({
            status: z.literal('ok'),
            model: z.string(),
            uri: z.string(),
            version: z.number().int(),
            format: z.string(),
            uptimeSeconds: z.number(),
            lockstep: z.string(),
            batching: z
              .object({
                windowMs: z.number(),
                maxBatch: z.number().int(),
                calls: z.number().int(),
                instances: z.number().int(),
              })
              .describe(
                'ONNX models: concurrent requests coalesced into inference calls (instances / calls = mean batch)',
              ),
          }),
        },
      },
    },
    async () => ({
      status: 'ok' as const,
      model: served.name,
      uri: served.uri,
      version: served.version,
      format: served.model.format,
      uptimeSeconds: (Date.now() - state.startedAt) / 1000,
      lockstep: VERSION,
      batching: batcher.stats(),
    }),
  );
}
