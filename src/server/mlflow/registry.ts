import { z } from 'zod';
import type { ModelRegistry } from '../../models/registry.ts';
import type { ServerContext, Typed } from '../context.ts';
import { hubOf } from './artifacts.ts';
import { invalid, notFound } from './ids.ts';
import { filterRecords, maxResults, pageOf, SearchRequest, sortRecords } from './records.ts';
import { inMlflowWords, modelMessage, versionMessage, versionNumber } from './registry-messages.ts';

// MLflow's limits for the registry (mlflow/utils/validation.py)
const MAX_TAG_KEY = 250;
const MAX_TAG_VALUE = 100_000;
const MAX_ALIAS = 255;

export const RegistryTag = z.object({ key: z.string().min(1).max(MAX_TAG_KEY), value: z.string().max(MAX_TAG_VALUE) });
const Name = z.object({ name: z.string().min(1) });

/** MLflow's alias rules, in its words, before the registry's own check. */
function checkAlias(alias: string): void {
  if (!/^[\p{L}\p{N}_-]*$/u.test(alias))
    throw invalid(
      `Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`,
    );
  if (alias.length > MAX_ALIAS) throw invalid(`Registered model alias name exceeds the maximum length of ${MAX_ALIAS}`);
  if (alias.toLowerCase() === 'latest') throw invalid("'latest' alias name (case insensitive) is reserved.");
  if (/^[vV]\d+$/.test(alias) || /^\d+$/.test(alias)) throw invalid(`Version alias name '${alias}' is reserved.`);
}

/** The registry of the server's session (the same one `lockstep models` and `serve` use). */
export async function registryOf(ctx: ServerContext): Promise<ModelRegistry> {
  return (await hubOf(ctx)).models;
}

/**
 * MLflow's registered-model routes over lockstep's model registry: one set of
 * models, versions, aliases and tags whichever API made them.
 */
export function registerMlflowRegistry(app: Typed, ctx: ServerContext): void {
  app.post(
    '/registered-models/create',
    {
      schema: {
        tags: ['mlflow'],
        body: Name.extend({ tags: z.array(RegistryTag).optional(), description: z.string().optional() }),
      },
    },
    async (req) => {
      const { name, tags, description } = req.body;
      const registry = await registryOf(ctx);
      const m = await inMlflowWords(name, undefined, () =>
        registry.createModel(name, {
          description: description ?? null,
          tags: Object.fromEntries((tags ?? []).map((t) => [t.key, t.value])),
        }),
      );
      return { registered_model: await modelMessage(registry, m) };
    },
  );

  app.get('/registered-models/get', { schema: { tags: ['mlflow'], querystring: Name } }, async (req) => {
    const registry = await registryOf(ctx);
    const m = await inMlflowWords(req.query.name, undefined, () => registry.get(req.query.name));
    return { registered_model: await modelMessage(registry, m) };
  });

  app.patch(
    '/registered-models/update',
    { schema: { tags: ['mlflow'], body: Name.extend({ description: z.string().optional() }) } },
    async (req) => {
      const registry = await registryOf(ctx);
      const { name, description } = req.body;
      const m = await inMlflowWords(name, undefined, () => registry.describeModel(name, description ?? null));
      return { registered_model: await modelMessage(registry, m) };
    },
  );

  app.post(
    '/registered-models/rename',
    { schema: { tags: ['mlflow'], body: Name.extend({ new_name: z.string().min(1) }) } },
    async (req) => {
      const registry = await registryOf(ctx);
      const { name, new_name } = req.body;
      const m = await inMlflowWords(name, undefined, () => registry.renameModel(name, new_name));
      return { registered_model: await modelMessage(registry, m) };
    },
  );

  app.delete('/registered-models/delete', { schema: { tags: ['mlflow'], body: Name } }, async (req) => {
    const registry = await registryOf(ctx);
    await inMlflowWords(req.body.name, undefined, () => registry.deleteModel(req.body.name));
    return {};
  });

  const searchModels = async (q: z.infer<typeof SearchRequest>) => {
    const max = maxResults(q.max_results, 100, 1000);
    const registry = await registryOf(ctx);
    const matched = filterRecords(await registry.list(), q.filter, (m, scope, key) => {
      if (scope === 'tags' || scope === 'tag') return m.tags[key];
      if (key === 'name') return m.name;
      if (key === 'description') return m.description;
      return undefined;
    });
    const sorted = sortRecords(matched, q.order_by, ['name ASC'], (m, name) => {
      const key = name.replace(/^attributes?\./, '');
      if (key === 'name') return m.name;
      if (key === 'timestamp' || key === 'last_updated_timestamp') return m.updatedAt.getTime();
      if (key === 'creation_timestamp') return m.createdAt.getTime();
      throw invalid(`Invalid order by key '${name}' specified.`);
    });
    const { page, next } = pageOf(sorted, q.page_token, max);
    const registered_models = [];
    for (const m of page) registered_models.push(await modelMessage(registry, m));
    return { registered_models, ...(next ? { next_page_token: next } : {}) };
  };
  app.get('/registered-models/search', { schema: { tags: ['mlflow'], querystring: SearchRequest } }, async (req) =>
    searchModels(req.query),
  );
  app.post(
    '/registered-models/search',
    { config: { access: 'read' }, schema: { tags: ['mlflow'], body: SearchRequest } },
    async (req) => searchModels(req.body),
  );

  app.post(
    '/registered-models/set-tag',
    { schema: { tags: ['mlflow'], body: Name.extend(RegistryTag.shape) } },
    async (req) => {
      const registry = await registryOf(ctx);
      const { name, key, value } = req.body;
      await inMlflowWords(name, undefined, () => registry.setTag(name, null, key, value));
      return {};
    },
  );

  app.delete(
    '/registered-models/delete-tag',
    { schema: { tags: ['mlflow'], body: Name.extend({ key: z.string().min(1) }) } },
    async (req) => {
      const registry = await registryOf(ctx);
      const { name, key } = req.body;
      if (!(await inMlflowWords(name, undefined, () => registry.deleteTag(name, null, key))))
        throw notFound(`Registered model tag with name=${name} and key=${key} not found`);
      return {};
    },
  );

  const Alias = Name.extend({ alias: z.string().min(1) });
  app.post(
    '/registered-models/alias',
    { schema: { tags: ['mlflow'], body: Alias.extend({ version: z.union([z.string().min(1), z.number()]) }) } },
    async (req) => {
      const { name, alias } = req.body;
      checkAlias(alias);
      const version = versionNumber(req.body.version);
      const registry = await registryOf(ctx);
      await inMlflowWords(name, version, () => registry.setAlias(name, alias, version));
      return {};
    },
  );

  app.delete('/registered-models/alias', { schema: { tags: ['mlflow'], body: Alias } }, async (req) => {
    const registry = await registryOf(ctx);
    const { name, alias } = req.body;
    await inMlflowWords(name, undefined, () => registry.deleteAlias(name, alias));
    return {};
  });

  app.get('/registered-models/alias', { schema: { tags: ['mlflow'], querystring: Alias } }, async (req) => {
    const registry = await registryOf(ctx);
    const { name, alias } = req.query;
    checkAlias(alias === 'latest' ? 'x' : alias);
    const v = await inMlflowWords(name, undefined, () =>
      registry.resolve(alias === 'latest' ? { name } : { name, alias }),
    );
    return { model_version: versionMessage(v) };
  });
}
