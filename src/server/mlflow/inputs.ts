import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { readTags, setTags } from '../../search/tags.ts';
import type { Driver } from '../../store/driver.ts';
import type { ServerContext, Typed } from '../context.ts';
import { invalid, type RunLocator } from './ids.ts';
import type { LoggedModels } from './logged-models.ts';
import { Int64, RunRef } from './schemas.ts';
import { ensureMlflowTables } from './tables.ts';

// MLflow's limits (mlflow/utils/validation.py)
const Dataset = z.object({
  name: z.string().min(1).max(500),
  digest: z.string().min(1).max(36),
  source_type: z.string().min(1),
  source: z.string().min(1).max(65_535),
  schema: z.string().max(1_048_575).optional(),
  profile: z.string().max(16_777_215).optional(),
});
const InputTag = z.object({ key: z.string().min(1).max(255), value: z.string().max(500) });

/** A run's dataset inputs and model inputs/outputs, as MLflow's RunInputs and RunOutputs. */
export interface RunLinks {
  inputs: {
    dataset_inputs: { tags: { key: string; value: string }[]; dataset: z.infer<typeof Dataset> }[];
    model_inputs: { model_id: string }[];
  };
  outputs: { model_outputs: { model_id: string; step: number }[] };
}

/** The inputs and outputs of some runs of an experiment, in one query per 500 runs. */
export async function readLinks(driver: Driver, experimentId: string, runIds: readonly string[]) {
  await ensureMlflowTables(driver);
  const out = new Map<string, RunLinks>();
  for (let i = 0; i < runIds.length; i += 500) {
    const ids = runIds.slice(i, i + 500);
    const rows = await driver.all<Record<string, unknown>>(
      `SELECT l.run_id, l.kind, l.ref, l.tags, l.step, d.name, d.digest, d.source_type, d.source, d.schema, d.profile
       FROM mlflow_run_links l LEFT JOIN mlflow_datasets d ON l.kind = 'dataset_input' AND d.id = l.ref
       WHERE l.experiment_id = ? AND l.run_id IN (${ids.map(() => '?').join(', ')}) ORDER BY l.run_id, l.kind, d.name, l.ref`,
      [experimentId, ...ids],
    );
    for (const r of rows) {
      const links = out.get(r.run_id as string) ?? {
        inputs: { dataset_inputs: [], model_inputs: [] },
        outputs: { model_outputs: [] },
      };
      out.set(r.run_id as string, links);
      if (r.kind === 'dataset_input') {
        const tags = JSON.parse(r.tags as string) as Record<string, string>;
        links.inputs.dataset_inputs.push({
          tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
          dataset: {
            name: r.name as string,
            digest: r.digest as string,
            source_type: r.source_type as string,
            source: r.source as string,
            ...(r.schema ? { schema: r.schema as string } : {}),
            ...(r.profile ? { profile: r.profile as string } : {}),
          },
        });
      } else if (r.kind === 'model_input') links.inputs.model_inputs.push({ model_id: r.ref as string });
      else links.outputs.model_outputs.push({ model_id: r.ref as string, step: Number(r.step ?? 0) });
    }
  }
  return out;
}

/** The dataset inputs of every run of an experiment, for `dataset.*` filters: run id, name, digest, context. */
export async function datasetInputs(driver: Driver, experimentId: string) {
  await ensureMlflowTables(driver);
  const rows = await driver.all<{ run_id: string; name: string; digest: string; tags: string }>(
    `SELECT l.run_id, d.name, d.digest, l.tags FROM mlflow_run_links l JOIN mlflow_datasets d ON d.id = l.ref
     WHERE l.experiment_id = ? AND l.kind = 'dataset_input'`,
    [experimentId],
  );
  return rows.map((r) => ({
    runId: r.run_id,
    name: r.name,
    digest: r.digest,
    context: (JSON.parse(r.tags) as Record<string, string>)['mlflow.data.context'] ?? null,
  }));
}

async function link(
  driver: Driver,
  experimentId: string,
  runId: string,
  kind: string,
  ref: string,
  tags: Record<string, string>,
  step: number | null,
): Promise<void> {
  await driver.insert({
    table: 'mlflow_run_links',
    columns: ['experiment_id', 'run_id', 'kind', 'ref', 'tags', 'step'],
    rows: [[experimentId, runId, kind, ref, JSON.stringify(tags), step]],
    conflict: ['run_id', 'kind', 'ref'],
  });
}

/** runs/log-inputs, runs/outputs and the legacy runs/log-model. */
export function registerMlflowInputs(
  app: Typed,
  { store }: ServerContext,
  runs: RunLocator,
  models: LoggedModels,
): void {
  const driver = store.driver;

  app.post(
    '/runs/log-inputs',
    {
      schema: {
        tags: ['mlflow'],
        body: RunRef.extend({
          datasets: z
            .array(z.object({ tags: z.array(InputTag).optional(), dataset: Dataset }))
            .max(1000)
            .optional(),
          models: z
            .array(z.object({ model_id: z.string().min(1) }))
            .max(1000)
            .optional(),
        }),
      },
    },
    async (req) => {
      const runId = (req.body.run_id ?? req.body.run_uuid) as string;
      const exp = await runs.locateActive(runId);
      await ensureMlflowTables(driver);
      await driver.transaction(async (tx) => {
        for (const { dataset: d, tags } of req.body.datasets ?? []) {
          // a dataset is one per experiment, name and digest (MLflow's identity)
          const [known] = await tx.all<{ id: string }>(
            'SELECT id FROM mlflow_datasets WHERE experiment_id = ? AND name = ? AND digest = ?',
            [exp.id, d.name, d.digest],
          );
          const id = known?.id ?? randomUUID();
          if (!known)
            await tx.run(
              'INSERT INTO mlflow_datasets (id, experiment_id, name, digest, source_type, source, schema, profile) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
              [id, exp.id, d.name, d.digest, d.source_type, d.source, d.schema ?? null, d.profile ?? null],
            );
          const t = Object.fromEntries((tags ?? []).map((x) => [x.key, x.value]));
          await link(tx, exp.id, runId, 'dataset_input', id, t, null);
        }
        for (const m of req.body.models ?? []) await link(tx, exp.id, runId, 'model_input', m.model_id, {}, null);
      });
      return {};
    },
  );

  app.post(
    '/runs/outputs',
    {
      schema: {
        tags: ['mlflow'],
        body: z.object({
          run_id: z.string().min(1),
          models: z
            .array(z.object({ model_id: z.string().min(1), step: Int64 }))
            .max(1000)
            .optional(),
        }),
      },
    },
    async (req) => {
      const exp = await runs.locateActive(req.body.run_id);
      for (const m of req.body.models ?? []) {
        await models.require(m.model_id);
        await link(driver, exp.id, req.body.run_id, 'model_output', m.model_id, {}, m.step);
      }
      return {};
    },
  );

  // MLflow 2's way to record a logged model: its MLmodel as JSON, appended to the run's `mlflow.log-model.history` tag
  app.post(
    '/runs/log-model',
    { schema: { tags: ['mlflow'], body: RunRef.extend({ model_json: z.string().min(1).max(1_000_000) }) } },
    async (req) => {
      const runId = (req.body.run_id ?? req.body.run_uuid) as string;
      const exp = await runs.locateActive(runId);
      let model: unknown;
      try {
        model = JSON.parse(req.body.model_json);
      } catch {
        throw invalid(`Invalid value for parameter 'model_json' supplied: not JSON`);
      }
      const key = 'mlflow.log-model.history';
      const old = (await readTags(driver, exp.id, [runId])).get(runId)?.[key];
      const history = old ? (JSON.parse(old) as unknown[]) : [];
      history.push(model);
      await setTags(driver, exp.id, runId, { [key]: JSON.stringify(history) });
      return {};
    },
  );
}
