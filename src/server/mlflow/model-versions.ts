import { z } from 'zod';
import type { StoredFile } from '../../artifacts/context.ts';
import type { ModelVersion } from '../../models/registry.ts';
import type { ServerContext, Typed } from '../context.ts';
import { proxyRoot, resolveTarget, safePath } from './artifact-paths.ts';
import { hubOf } from './artifacts.ts';
import { invalid, notFound, type RunLocator } from './ids.ts';
import type { LoggedModels } from './logged-models.ts';
import { filterRecords, maxResults, pageOf, SearchRequest, sortRecords } from './records.ts';
import { RegistryTag, registryOf } from './registry.ts';
import {
  canonicalStage,
  downloadUri,
  inMlflowWords,
  latestPerStage,
  versionMessage,
  versionNumber,
} from './registry-messages.ts';

/** What a version is made from: the files under its source, with paths relative to it, and where they belong. */
interface Source {
  files: StoredFile[];
  experimentId: string | null;
  /** Whether the source is a place lockstep keeps files (then it must hold some). */
  held: boolean;
}

/**
 * The files a version's `source` names, when lockstep holds them: a run's
 * artifacts (`runs:/<run>/<path>` or the run's `mlflow-artifacts:` URI), a
 * logged model (`models:/<model id>`), or another version. Any other URI
 * (s3://, gs://, …) makes a version without files that points there; a local
 * path is refused, as MLflow refuses one outside a run's artifact directory.
 */
async function resolveSource(
  ctx: ServerContext,
  runs: RunLocator,
  models: LoggedModels,
  source: string,
): Promise<Source> {
  const bad = (why = '') =>
    invalid(
      `Invalid model version source: '${source}'.${why || ' If supplying a source as an http, https, local file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path must be provided without relative path references present. Please provide an absolute path.'}`,
    );
  let decoded = source;
  try {
    for (let i = 0; i < 3 && decoded !== decodeURIComponent(decoded); i++) decoded = decodeURIComponent(decoded);
  } catch {
    throw bad();
  }
  if (decoded.includes('\u0000') || decoded.split('/').includes('..')) throw bad();
  const hub = await hubOf(ctx);
  const under = (files: readonly StoredFile[], dir: string): StoredFile[] =>
    files.flatMap((f) =>
      f.path === dir
        ? [{ ...f, path: dir.split('/').pop() as string }]
        : !dir || f.path.startsWith(`${dir}/`)
          ? [{ ...f, path: dir ? f.path.slice(dir.length + 1) : f.path }]
          : [],
    );
  const runs_ = /^runs:\/([^/]+)\/?(.*)$/.exec(source);
  if (!runs_ && /^runs:/i.test(source)) throw bad(' Expected runs:/<run id>/<path>.');
  if (runs_) {
    const runId = runs_[1] as string;
    const exp = await runs.locate(runId);
    return {
      files: under(await hub.artifacts.allFiles(runId), safePath(runs_[2] as string)),
      experimentId: exp.id,
      held: true,
    };
  }
  const proxied = proxyRoot(source);
  if (proxied !== null) {
    const t = await resolveTarget(ctx, runs, safePath(proxied), async (id) => {
      const m = await models.find(id);
      return m && { experimentId: m.experimentId, root: m.artifactLocation };
    });
    const files = t.kind === 'run' ? await hub.artifacts.allFiles(t.runId) : await hub.ctx.readFiles(t.owner);
    return {
      files: under(files, t.path),
      experimentId: t.kind === 'run' ? t.exp.id : (t.experimentId ?? null),
      held: true,
    };
  }
  const logged = /^models:\/(m-[0-9a-f]+)\/?(.*)$/.exec(source);
  if (logged) {
    const m = await models.require(logged[1] as string);
    return {
      files: under(await hub.ctx.readFiles(m.id), safePath(logged[2] as string)),
      experimentId: m.experimentId,
      held: true,
    };
  }
  if (/^file:/i.test(source) || !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(source))
    throw bad(
      ' To use a local path as a model version source, the run_id request parameter has to be specified and the local path has to be contained within the artifact directory of the run specified by the run_id.',
    );
  return { files: [], experimentId: null, held: false };
}

/** MLflow's model-version routes over lockstep's registry. */
export function registerMlflowModelVersions(
  app: Typed,
  ctx: ServerContext,
  runs: RunLocator,
  models: LoggedModels,
): void {
  const NameVersion = z.object({ name: z.string().min(1), version: z.union([z.string().min(1), z.number()]) });
  const get = async (name: string, v: string | number): Promise<ModelVersion> => {
    const version = versionNumber(v);
    const registry = await registryOf(ctx);
    return inMlflowWords(name, version, () => registry.version(name, version));
  };

  app.post(
    '/model-versions/create',
    {
      schema: {
        tags: ['mlflow'],
        body: z.object({
          name: z.string().min(1),
          source: z.string().min(1),
          run_id: z.string().optional(),
          tags: z.array(RegistryTag).optional(),
          run_link: z.string().optional(),
          description: z.string().optional(),
          model_id: z.string().optional(),
        }),
      },
    },
    async (req) => {
      const b = req.body;
      const registry = await registryOf(ctx);
      const { files, experimentId, held } = await resolveSource(ctx, runs, models, b.source);
      if (held && files.length === 0)
        throw invalid(`Invalid model version source: '${b.source}': it holds no artifacts`);
      if (b.run_id) await runs.locate(b.run_id);
      const v = await inMlflowWords(b.name, undefined, () =>
        registry.registerFiles(b.name, {
          files,
          source: b.source,
          runId: b.run_id || null,
          experimentId,
          description: b.description ?? null,
          tags: Object.fromEntries((b.tags ?? []).map((t) => [t.key, t.value])),
        }),
      );
      return { model_version: versionMessage(v) };
    },
  );

  app.get('/model-versions/get', { schema: { tags: ['mlflow'], querystring: NameVersion } }, async (req) => ({
    model_version: versionMessage(await get(req.query.name, req.query.version)),
  }));

  app.patch(
    '/model-versions/update',
    { schema: { tags: ['mlflow'], body: NameVersion.extend({ description: z.string().optional() }) } },
    async (req) => {
      const v = await get(req.body.name, req.body.version);
      const registry = await registryOf(ctx);
      const changed =
        req.body.description === undefined
          ? v
          : await registry.updateVersion(v.model, v.version, { description: req.body.description });
      return { model_version: versionMessage(changed) };
    },
  );

  app.post(
    '/model-versions/transition-stage',
    {
      schema: {
        tags: ['mlflow'],
        body: NameVersion.extend({ stage: z.string().min(1), archive_existing_versions: z.boolean().optional() }),
      },
    },
    async (req) => {
      const v = await get(req.body.name, req.body.version);
      const registry = await registryOf(ctx);
      const changed = await registry.updateVersion(v.model, v.version, {
        stage: canonicalStage(req.body.stage),
        archiveOthers: req.body.archive_existing_versions ?? false,
      });
      return { model_version: versionMessage(changed) };
    },
  );

  app.delete('/model-versions/delete', { schema: { tags: ['mlflow'], body: NameVersion } }, async (req) => {
    const v = await get(req.body.name, req.body.version);
    await (await registryOf(ctx)).deleteVersion(v.model, v.version);
    return {};
  });

  app.get(
    '/model-versions/get-download-uri',
    { schema: { tags: ['mlflow'], querystring: NameVersion } },
    async (req) => {
      const v = await get(req.query.name, req.query.version);
      const files = await (await registryOf(ctx)).files(v);
      return { artifact_uri: downloadUri(v, files.length > 0) };
    },
  );

  app.post(
    '/model-versions/set-tag',
    { schema: { tags: ['mlflow'], body: NameVersion.extend(RegistryTag.shape) } },
    async (req) => {
      const v = await get(req.body.name, req.body.version);
      await (await registryOf(ctx)).setTag(v.model, v.version, req.body.key, req.body.value);
      return {};
    },
  );

  app.delete(
    '/model-versions/delete-tag',
    { schema: { tags: ['mlflow'], body: NameVersion.extend({ key: z.string().min(1) }) } },
    async (req) => {
      const v = await get(req.body.name, req.body.version);
      if (!(await (await registryOf(ctx)).deleteTag(v.model, v.version, req.body.key)))
        throw notFound(
          `Model version tag with name=${v.model}, version=${v.version} and key=${req.body.key} not found`,
        );
      return {};
    },
  );

  const Latest = z.object({ name: z.string().min(1), stages: z.union([z.array(z.string()), z.string()]).optional() });
  const latest = async (q: z.infer<typeof Latest>) => {
    const registry = await registryOf(ctx);
    const versions = await inMlflowWords(q.name, undefined, () => registry.versions(q.name));
    const stages = typeof q.stages === 'string' ? [q.stages] : q.stages;
    return { model_versions: latestPerStage(versions, stages).map(versionMessage) };
  };
  app.post('/registered-models/get-latest-versions', { schema: { tags: ['mlflow'], body: Latest } }, async (req) =>
    latest(req.body),
  );
  app.get(
    '/registered-models/get-latest-versions',
    { schema: { tags: ['mlflow'], querystring: Latest } },
    async (req) => latest(req.query),
  );

  const search = async (q: z.infer<typeof SearchRequest>) => {
    const max = maxResults(q.max_results, 10_000, 200_000);
    const registry = await registryOf(ctx);
    const all: ModelVersion[] = [];
    for (const m of await registry.list()) if (m.versions) all.push(...(await registry.versions(m.name)));
    const attr = (v: ModelVersion, key: string) => {
      switch (key) {
        case 'name':
          return v.model;
        case 'version_number':
        case 'version':
          return v.version;
        case 'run_id':
          return v.runId;
        case 'source_path':
        case 'source':
          return v.source;
        case 'current_stage':
          return v.stage;
        case 'creation_timestamp':
          return v.createdAt.getTime();
        case 'last_updated_timestamp':
        case 'timestamp':
          return v.updatedAt.getTime();
        default:
          return undefined;
      }
    };
    const matched = filterRecords(all, q.filter, (v, scope, key) =>
      scope === 'tags' || scope === 'tag' ? v.tags[key] : attr(v, key),
    );
    const sorted = sortRecords(matched, q.order_by, ['name ASC', 'version_number DESC'], (v, name) => {
      const value = attr(v, name.replace(/^attributes?\./, ''));
      if (value === undefined) throw invalid(`Invalid order by key '${name}' specified.`);
      return value;
    });
    const { page, next } = pageOf(sorted, q.page_token, max);
    return { model_versions: page.map(versionMessage), ...(next ? { next_page_token: next } : {}) };
  };
  app.get('/model-versions/search', { schema: { tags: ['mlflow'], querystring: SearchRequest } }, async (req) =>
    search(req.query),
  );
  app.post(
    '/model-versions/search',
    { config: { access: 'read' }, schema: { tags: ['mlflow'], body: SearchRequest } },
    async (req) => search(req.body),
  );
}
