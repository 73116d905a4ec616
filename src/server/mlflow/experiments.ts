import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { quoteId } from '../../store/driver.ts';
import { experimentTable, indexName, MAX_EXPERIMENT_NAME } from '../../store/names.ts';
import type { ExperimentRecord, Store } from '../../store/store.ts';
import type { ServerContext, Typed } from '../context.ts';
import { HttpError } from '../errors.ts';
import { experimentMessage } from './convert.ts';
import {
  DEFAULT_ID,
  experimentById,
  invalid,
  mlflowState,
  notFound,
  requireActiveExperiment,
  saveMlflowState,
} from './ids.ts';
import { filterRecords, pageOf, sortRecords } from './records.ts';
import { Int64, Key, MAX_TAG_VALUE, Tag, ViewType } from './schemas.ts';

const ExperimentId = z.object({ experiment_id: z.string().min(1) });

async function rename(store: Store, exp: ExperimentRecord, newName: string): Promise<void> {
  const table = experimentTable(newName);
  await store.driver.transaction(async (tx) => {
    const clash = await tx.all('SELECT name FROM experiments WHERE name = ? OR LOWER(table_name) = LOWER(?)', [
      newName,
      table,
    ]);
    if (clash.length)
      throw new HttpError(400, 'E_CONFLICT', `Experiment '${newName}' already exists.`, {
        mlflowCode: 'RESOURCE_ALREADY_EXISTS',
      });
    await tx.exec(`ALTER TABLE ${quoteId(exp.tableName)} RENAME TO ${quoteId(table)}`);
    // the index keeps its old name otherwise, which a future experiment of that name would collide with
    await tx.exec(`DROP INDEX IF EXISTS ${quoteId(indexName(exp.tableName, 'params_key'))}`);
    await tx.exec(`DROP INDEX IF EXISTS ${quoteId(indexName(exp.tableName, 'started'))}`);
    await tx.exec(`CREATE INDEX ${quoteId(indexName(table, 'params_key'))} ON ${quoteId(table)} (params_key)`);
    await tx.run('UPDATE experiments SET name = ?, table_name = ? WHERE id = ?', [newName, table, exp.id]);
  });
}

export function registerMlflowExperiments(app: Typed, { store }: ServerContext): void {
  app.post(
    '/experiments/create',
    {
      schema: {
        tags: ['mlflow'],
        body: z.object({
          name: z.string().min(1),
          artifact_location: z.string().max(2000).optional(),
          tags: z.array(Tag).max(100).optional(),
        }),
      },
    },
    async (req) => {
      const { name, artifact_location, tags } = req.body;
      checkName(name);
      if (artifact_location?.startsWith('runs:'))
        throw invalid(`Artifact location cannot be a runs:/ URI. Given: '${artifact_location}'`);
      if (await store.getExperiment(name))
        throw new HttpError(400, 'E_CONFLICT', `Experiment '${name}' already exists.`, {
          mlflowCode: 'RESOURCE_ALREADY_EXISTS',
        });
      const exp = await store.createExperiment(name, null);
      const state = mlflowState(exp);
      if (artifact_location) state.artifactLocation = absoluteLocation(artifact_location);
      for (const t of tags ?? []) state.tags[t.key] = t.value;
      await saveMlflowState(store, exp, state);
      return { experiment_id: exp.id };
    },
  );

  app.get('/experiments/get', { schema: { tags: ['mlflow'], querystring: ExperimentId } }, async (req) => ({
    experiment: experimentMessage(await experimentById(store, req.query.experiment_id, 'read')),
  }));

  app.get(
    '/experiments/get-by-name',
    { schema: { tags: ['mlflow'], querystring: z.object({ experiment_name: z.string().min(1) }) } },
    async (req) => {
      const name = req.query.experiment_name;
      const exp =
        name === 'Default' ? await experimentById(store, DEFAULT_ID, 'read') : await store.getExperiment(name);
      if (!exp)
        throw new HttpError(404, 'E_NOT_FOUND', `Could not find experiment with name '${name}'`, {
          mlflowCode: 'RESOURCE_DOES_NOT_EXIST',
        });
      return { experiment: experimentMessage(exp) };
    },
  );

  const SearchBody = z.object({
    max_results: Int64.optional(),
    page_token: z.string().optional(),
    filter: z.string().max(10_000).optional(),
    order_by: z.union([z.array(z.string()), z.string()]).optional(),
    view_type: ViewType.optional(),
  });
  const search = async (q: z.infer<typeof SearchBody>) => {
    const max = q.max_results ?? 1000;
    if (max < 1 || max > 50_000) throw invalid(`max_results must be between 1 and 50000, got ${max}`);
    const view = q.view_type ?? 'ACTIVE_ONLY';
    const stored = await store.listExperiments();
    // MLflow always has its default experiment, even before anything is logged to it
    const records = stored.some((e) => e.name === 'Default')
      ? stored
      : [await experimentById(store, DEFAULT_ID, 'read'), ...stored];
    const inView = records
      .map(experimentMessage)
      .filter((m) => view === 'ALL' || (m.lifecycle_stage === 'deleted') === (view === 'DELETED_ONLY'));
    const matched = filterRecords(inView, q.filter, (m, scope, key) => {
      if (scope === 'tags' || scope === 'tag') return m.tags.find((t) => t.key === key)?.value;
      if (scope !== 'column' && scope !== 'attributes' && scope !== 'attribute') return undefined;
      return (m as Record<string, unknown>)[key === 'id' ? 'experiment_id' : key] as string | number | undefined;
    });
    const sorted = sortRecords(matched, q.order_by, ['creation_time DESC', 'experiment_id ASC'], (m, name) => {
      const key = name.replace(/^attributes?\./, '');
      return (m as Record<string, unknown>)[key === 'id' ? 'experiment_id' : key] as string | number | undefined;
    });
    const { page, next } = pageOf(sorted, q.page_token, max);
    return { experiments: page, ...(next ? { next_page_token: next } : {}) };
  };
  app.post(
    '/experiments/search',
    { config: { access: 'read' }, schema: { tags: ['mlflow'], body: SearchBody } },
    async (req) => search(req.body),
  );
  app.get('/experiments/search', { schema: { tags: ['mlflow'], querystring: SearchBody } }, async (req) =>
    search(req.query),
  );

  app.post(
    '/experiments/update',
    { schema: { tags: ['mlflow'], body: ExperimentId.extend({ new_name: z.string().min(1).optional() }) } },
    async (req) => {
      const exp = await experimentById(store, req.body.experiment_id);
      if (req.body.new_name) checkName(req.body.new_name);
      if (req.body.new_name && req.body.new_name !== exp.name) await rename(store, exp, req.body.new_name);
      return {};
    },
  );

  const setStage = async (id: string, stage: 'active' | 'deleted') => {
    const exp = await experimentById(store, id);
    if (stage === 'deleted' && id === DEFAULT_ID) throw invalid("Cannot delete the default experiment '0'.");
    await saveMlflowState(store, exp, { ...mlflowState(exp), lifecycleStage: stage });
    return {};
  };
  app.post('/experiments/delete', { schema: { tags: ['mlflow'], body: ExperimentId } }, async (req) =>
    setStage(req.body.experiment_id, 'deleted'),
  );
  app.post('/experiments/restore', { schema: { tags: ['mlflow'], body: ExperimentId } }, async (req) =>
    setStage(req.body.experiment_id, 'active'),
  );

  app.post(
    '/experiments/set-experiment-tag',
    { schema: { tags: ['mlflow'], body: ExperimentId.extend({ key: Key, value: z.string().max(MAX_TAG_VALUE) }) } },
    async (req) => {
      const exp = requireActiveExperiment(await experimentById(store, req.body.experiment_id));
      const state = mlflowState(exp);
      state.tags[req.body.key] = req.body.value;
      await saveMlflowState(store, exp, state);
      return {};
    },
  );

  app.post(
    '/experiments/delete-experiment-tag',
    { schema: { tags: ['mlflow'], body: ExperimentId.extend({ key: Key }) } },
    async (req) => {
      const exp = requireActiveExperiment(await experimentById(store, req.body.experiment_id));
      const state = mlflowState(exp);
      if (!(req.body.key in state.tags))
        throw notFound(`No tag with name: ${req.body.key} in experiment with id ${req.body.experiment_id}`);
      delete state.tags[req.body.key];
      await saveMlflowState(store, exp, state);
      return {};
    },
  );
}

/** MLflow's limit on experiment names, with its message. */
function checkName(name: string): void {
  if (name.length > MAX_EXPERIMENT_NAME)
    throw invalid(`'name' exceeds the maximum length of ${MAX_EXPERIMENT_NAME} characters`);
}

/** A relative local path becomes absolute (from the server's working directory), as MLflow stores it. */
function absoluteLocation(location: string): string {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$/.exec(location);
  if (scheme && scheme[1]?.toLowerCase() !== 'file') return location;
  const path = scheme ? (scheme[2] as string).replace(/^\/\/[^/]*/, '') : location;
  if (isAbsolute(path)) return location;
  return scheme ? `file://${resolve(path)}` : resolve(path);
}
