import { z } from 'zod';
import { MAX_EXPERIMENT_NAME } from '../../store/names.ts';
import type { ServerContext, Typed } from '../context.ts';
import { keyOf, once } from '../idempotency.ts';
import { deleteExperimentTags } from './cleanup.ts';
import { countRuns, ErrorBody, ExperimentInfo, experimentDetail, experimentJson, NameParams } from './shared.ts';

const Column = z.object({ name: z.string(), role: z.string(), key: z.string(), kind: z.string().nullable() });
const ExperimentDetail = z.object({
  experiment: ExperimentInfo.extend({
    columns: z.array(Column),
    tableName: z.string(),
    fields: z.record(z.string(), z.unknown()),
  }),
});

export function registerExperiments(app: Typed, { store }: ServerContext): void {
  app.get(
    '/api/v1/experiments',
    {
      schema: {
        tags: ['experiments'],
        summary: 'List experiments',
        querystring: z.object({ search: z.string().max(200).optional() }),
        response: { 200: z.object({ experiments: z.array(ExperimentInfo) }) },
      },
    },
    async (req) => {
      const needle = req.query.search?.toLowerCase();
      const all = await store.listExperiments();
      return {
        experiments: all
          .filter((e) => !needle || e.name.toLowerCase().includes(needle))
          .map((e) => experimentJson(e, e.runs)),
      };
    },
  );

  app.get(
    '/api/v1/experiments/:name',
    {
      schema: {
        tags: ['experiments'],
        summary: 'One experiment with its columns',
        params: NameParams,
        response: { 200: ExperimentDetail, 404: ErrorBody },
      },
    },
    async (req) => {
      const exp = await store.requireExperiment(req.params.name);
      return experimentDetail(exp, await countRuns(store, exp));
    },
  );

  app.post(
    '/api/v1/experiments',
    {
      schema: {
        tags: ['experiments'],
        summary: 'Create an experiment (or load it with ifExists: "load")',
        body: z.object({
          name: z.string().min(1).max(MAX_EXPERIMENT_NAME),
          description: z.string().max(10_000).nullable().optional(),
          ifExists: z.enum(['error', 'load']).optional(),
        }),
        response: { 200: ExperimentDetail, 201: ExperimentDetail, 409: ErrorBody },
      },
    },
    async (req, reply) => {
      const { name, description, ifExists } = req.body;
      const out = await once(store.driver, keyOf(req.headers), async () => {
        const existing = ifExists === 'load' ? await store.getExperiment(name) : undefined;
        const exp = existing ?? (await store.createExperiment(name, description ?? null));
        reply.code(existing ? 200 : 201);
        return experimentDetail(exp, existing ? await countRuns(store, exp) : 0);
      });
      if ('duplicate' in out) {
        const exp = await store.requireExperiment(name);
        return experimentDetail(exp, await countRuns(store, exp));
      }
      return out;
    },
  );

  app.patch(
    '/api/v1/experiments/:name',
    {
      schema: {
        tags: ['experiments'],
        summary: 'Change the description or the experiment-level fields',
        params: NameParams,
        body: z.object({
          description: z.string().max(10_000).nullable().optional(),
          fields: z.record(z.string(), z.unknown()).optional(),
        }),
        response: { 200: ExperimentDetail, 404: ErrorBody },
      },
    },
    async (req) => {
      const exp = await store.requireExperiment(req.params.name);
      await store.updateExperiment(exp, req.body);
      return experimentDetail(exp, await countRuns(store, exp));
    },
  );

  app.delete(
    '/api/v1/experiments/:name',
    {
      schema: {
        tags: ['experiments'],
        summary: 'Delete an experiment, its runs and metrics',
        params: NameParams,
        response: { 200: z.object({ deleted: z.boolean() }), 404: ErrorBody },
      },
    },
    async (req) => {
      const exp = await store.requireExperiment(req.params.name);
      await store.deleteExperiment(exp.name);
      await deleteExperimentTags(store, exp.id);
      return { deleted: true };
    },
  );
}
