import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { ArtifactHub } from '../../artifacts/hub.ts';
import type { Driver } from '../../store/driver.ts';
import type { ServerContext, Typed } from '../context.ts';
import { listLevel, safePath } from './artifact-paths.ts';
import { hubOf } from './artifacts.ts';
import { experimentById, invalid, mlflowExperimentId, mlflowState, notFound, requireActiveExperiment } from './ids.ts';
import { filterRecords, pageOf, sortRecords } from './records.ts';
import { Int64, Key, MAX_TAG_VALUE } from './schemas.ts';
import { ensureMlflowTables } from './tables.ts';

/** An MLflow 3 logged model: a model with its own artifacts, made (usually) by a run. */
export interface LoggedModel {
  id: string;
  experimentId: string;
  name: string;
  modelType: string | null;
  sourceRunId: string | null;
  status: string;
  statusMessage: string | null;
  artifactLocation: string;
  createdAt: number;
  updatedAt: number;
  tags: Record<string, string>;
  params: Record<string, string>;
}

const STATUSES = [
  'LOGGED_MODEL_STATUS_UNSPECIFIED',
  'LOGGED_MODEL_PENDING',
  'LOGGED_MODEL_READY',
  'LOGGED_MODEL_UPLOAD_FAILED',
];
const Status = z
  .union([z.enum(STATUSES as [string, ...string[]]), z.number().int().min(0).max(3)])
  .transform((s) => (typeof s === 'number' ? (STATUSES[s] as string) : s));
const KeyValue = z.object({ key: Key, value: z.string().max(MAX_TAG_VALUE) });

/** Logged models in `mlflow_logged_models`; their files are `stored_files` rows owned by the model id. */
export class LoggedModels {
  constructor(private readonly driver: Driver) {}

  async find(id: string): Promise<LoggedModel | undefined> {
    await ensureMlflowTables(this.driver);
    const [row] = await this.driver.all('SELECT * FROM mlflow_logged_models WHERE id = ?', [id]);
    return row ? decode(row) : undefined;
  }

  async require(id: string): Promise<LoggedModel> {
    const m = await this.find(id);
    if (!m) throw notFound(`Logged model with ID '${id}' not found.`);
    return m;
  }

  async list(experimentIds: readonly string[]): Promise<LoggedModel[]> {
    await ensureMlflowTables(this.driver);
    if (experimentIds.length === 0) return [];
    const rows = await this.driver.all(
      `SELECT * FROM mlflow_logged_models WHERE experiment_id IN (${experimentIds.map(() => '?').join(', ')})`,
      [...experimentIds],
    );
    return rows.map(decode);
  }

  async insert(m: LoggedModel): Promise<void> {
    await ensureMlflowTables(this.driver);
    await this.driver.run(
      `INSERT INTO mlflow_logged_models (id, experiment_id, name, model_type, source_run_id, status, status_message,
        artifact_location, created_at, updated_at, tags, params) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        m.id,
        m.experimentId,
        m.name,
        m.modelType,
        m.sourceRunId,
        m.status,
        m.statusMessage,
        m.artifactLocation,
        m.createdAt,
        m.updatedAt,
        JSON.stringify(m.tags),
        JSON.stringify(m.params),
      ],
    );
  }

  async update(m: LoggedModel): Promise<void> {
    await this.driver.run(
      'UPDATE mlflow_logged_models SET status = ?, status_message = ?, tags = ?, params = ?, updated_at = ? WHERE id = ?',
      [m.status, m.statusMessage, JSON.stringify(m.tags), JSON.stringify(m.params), Date.now(), m.id],
    );
  }

  async delete(id: string): Promise<void> {
    await this.driver.transaction(async (tx) => {
      await tx.run('DELETE FROM stored_files WHERE owner = ?', [id]);
      await tx.run('DELETE FROM mlflow_logged_models WHERE id = ?', [id]);
    });
  }

  /** Stores one uploaded file of a model (replacing a file of that path). */
  async putFile(hub: ArtifactHub, owner: string, path: string, body: Readable): Promise<void> {
    const file = await hub.ctx.storeStream(body, `artifact "${path}"`);
    await this.driver.insert({
      table: 'stored_files',
      columns: ['owner', 'path', 'digest', 'size'],
      rows: [[owner, path, file.digest, file.size]],
      conflict: ['owner', 'path'],
    });
  }

  async removeFiles(owner: string, path: string): Promise<void> {
    if (path === '') await this.driver.run('DELETE FROM stored_files WHERE owner = ?', [owner]);
    else
      await this.driver.run('DELETE FROM stored_files WHERE owner = ? AND (path = ? OR path LIKE ?)', [
        owner,
        path,
        `${path.replace(/[%_\\]/g, '\\$&')}/%`,
      ]);
  }
}

function decode(r: Record<string, unknown>): LoggedModel {
  return {
    id: r.id as string,
    experimentId: r.experiment_id as string,
    name: r.name as string,
    modelType: (r.model_type as string | null) ?? null,
    sourceRunId: (r.source_run_id as string | null) ?? null,
    status: r.status as string,
    statusMessage: (r.status_message as string | null) ?? null,
    artifactLocation: r.artifact_location as string,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    tags: JSON.parse(r.tags as string) as Record<string, string>,
    params: JSON.parse(r.params as string) as Record<string, string>,
  };
}

/** A logged model's attribute for filters and order_by. */
function attribute(m: LoggedModel, key: string): string | number | null | undefined {
  const attrs: Record<string, string | number | null> = {
    name: m.name,
    model_id: m.id,
    source_run_id: m.sourceRunId,
    status: m.status,
    model_type: m.modelType,
    creation_timestamp: m.createdAt,
    creation_time: m.createdAt,
    last_updated_timestamp: m.updatedAt,
  };
  return key in attrs ? attrs[key] : undefined;
}

/** MLflow's LoggedModel message. */
export function loggedModelMessage(m: LoggedModel, expId: string) {
  return {
    info: {
      model_id: m.id,
      experiment_id: expId,
      name: m.name,
      creation_timestamp_ms: m.createdAt,
      last_updated_timestamp_ms: m.updatedAt,
      artifact_uri: m.artifactLocation,
      status: m.status,
      ...(m.modelType ? { model_type: m.modelType } : {}),
      ...(m.sourceRunId ? { source_run_id: m.sourceRunId } : {}),
      ...(m.statusMessage ? { status_message: m.statusMessage } : {}),
      tags: Object.entries(m.tags).map(([key, value]) => ({ key, value })),
    },
    data: { params: Object.entries(m.params).map(([key, value]) => ({ key, value })), metrics: [] },
  };
}

const BAD_NAME = ['/', ':', '.', '%', '"', "'"];

/** MLflow 3's logged-models routes. */
export function registerLoggedModels(app: Typed, ctx: ServerContext, models: LoggedModels): void {
  const { store } = ctx;
  const message = async (m: LoggedModel) => {
    const exp = await experimentById(store, m.experimentId, 'read');
    return { model: loggedModelMessage(m, mlflowExperimentId(exp)) };
  };
  const ModelId = z.object({ model_id: z.string().min(1) });

  app.post(
    '/logged-models',
    {
      schema: {
        tags: ['mlflow'],
        body: z.object({
          experiment_id: z.string().min(1),
          name: z.string().optional(),
          model_type: z.string().max(500).optional(),
          source_run_id: z.string().optional(),
          params: z.array(KeyValue).max(1000).optional(),
          tags: z.array(KeyValue).max(1000).optional(),
        }),
      },
    },
    async (req) => {
      const b = req.body;
      const exp = requireActiveExperiment(await experimentById(store, b.experiment_id));
      const name = b.name ?? `model-${randomUUID().slice(0, 8)}`;
      if (name === '' || BAD_NAME.some((c) => name.includes(c)))
        throw invalid(
          `Invalid model name ('${name}') provided. Model name must be a non-empty string and cannot contain the following characters: ('/', ':', '.', '%', '"', "'")`,
        );
      const id = `m-${randomUUID().replaceAll('-', '')}`;
      const now = Date.now();
      const m: LoggedModel = {
        id,
        experimentId: exp.id,
        name,
        modelType: b.model_type ?? null,
        sourceRunId: b.source_run_id ?? null,
        status: 'LOGGED_MODEL_PENDING',
        statusMessage: null,
        artifactLocation: `${mlflowState(exp).artifactLocation}/models/${id}/artifacts`,
        createdAt: now,
        updatedAt: now,
        tags: Object.fromEntries((b.tags ?? []).map((t) => [t.key, t.value])),
        params: Object.fromEntries((b.params ?? []).map((t) => [t.key, t.value])),
      };
      await models.insert(m);
      return message(m);
    },
  );

  app.get('/logged-models/:model_id', { schema: { tags: ['mlflow'], params: ModelId } }, async (req) =>
    message(await models.require(req.params.model_id)),
  );

  app.patch(
    '/logged-models/:model_id',
    {
      schema: {
        tags: ['mlflow'],
        params: ModelId,
        body: z.object({ model_id: z.string().optional(), status: Status }),
      },
    },
    async (req) => {
      const m = await models.require(req.params.model_id);
      m.status = req.body.status;
      await models.update(m);
      return message(await models.require(m.id));
    },
  );

  app.delete('/logged-models/:model_id', { schema: { tags: ['mlflow'], params: ModelId } }, async (req) => {
    await models.require(req.params.model_id);
    await models.delete(req.params.model_id);
    return {};
  });

  app.patch(
    '/logged-models/:model_id/tags',
    { schema: { tags: ['mlflow'], params: ModelId, body: z.object({ tags: z.array(KeyValue).max(1000).optional() }) } },
    async (req) => {
      const m = await models.require(req.params.model_id);
      for (const t of req.body.tags ?? []) m.tags[t.key] = t.value;
      await models.update(m);
      return {};
    },
  );

  app.delete(
    '/logged-models/:model_id/tags/:tag_key',
    { schema: { tags: ['mlflow'], params: ModelId.extend({ tag_key: z.string().min(1) }) } },
    async (req) => {
      const m = await models.require(req.params.model_id);
      if (!(req.params.tag_key in m.tags))
        throw notFound(`No tag with key '${req.params.tag_key}' found for logged model '${m.id}'.`);
      delete m.tags[req.params.tag_key];
      await models.update(m);
      return {};
    },
  );

  app.post(
    '/logged-models/:model_id/params',
    {
      schema: { tags: ['mlflow'], params: ModelId, body: z.object({ params: z.array(KeyValue).max(1000).optional() }) },
    },
    async (req) => {
      const m = await models.require(req.params.model_id);
      for (const p of req.body.params ?? []) m.params[p.key] = p.value;
      await models.update(m);
      return {};
    },
  );

  app.get(
    '/logged-models/:model_id/artifacts/directories',
    {
      schema: {
        tags: ['mlflow'],
        params: ModelId,
        querystring: z.object({ artifact_directory_path: z.string().optional(), page_token: z.string().optional() }),
      },
    },
    async (req) => {
      const m = await models.require(req.params.model_id);
      const hub = await hubOf(ctx);
      const dir = safePath(req.query.artifact_directory_path ?? '');
      return { root_uri: m.artifactLocation, files: listLevel(await hub.ctx.readFiles(m.id), dir) };
    },
  );

  const OrderBy = z.object({ field_name: z.string().min(1), ascending: z.boolean().optional() });
  app.post(
    '/logged-models/search',
    {
      config: { access: 'read' },
      schema: {
        tags: ['mlflow'],
        body: z.object({
          experiment_ids: z.array(z.string()).optional(),
          filter: z.string().max(10_000).optional(),
          max_results: Int64.optional(),
          order_by: z.array(OrderBy).optional(),
          page_token: z.string().optional(),
          datasets: z.array(z.unknown()).optional(),
        }),
      },
    },
    async (req) => {
      const b = req.body;
      const max = b.max_results ?? 50;
      if (max < 1 || max > 1000) throw invalid(`Invalid value ${max} for parameter 'max_results' supplied.`);
      const exps = await Promise.all((b.experiment_ids ?? []).map((id) => experimentById(store, id, 'read')));
      const matched = filterRecords(await models.list(exps.map((e) => e.id)), b.filter, (m, scope, key) => {
        if (scope === 'tags' || scope === 'tag') return m.tags[key];
        if (scope === 'params' || scope === 'param') return m.params[key];
        if (scope !== 'column' && scope !== 'attributes' && scope !== 'attribute') return undefined;
        return attribute(m, key) ?? undefined;
      });
      const orders = (b.order_by ?? []).map((o) => `${o.field_name} ${o.ascending === false ? 'DESC' : 'ASC'}`);
      const sorted = sortRecords(matched, orders, ['creation_timestamp DESC'], (m, name) => {
        const v = attribute(m, name.replace(/^attributes?\./, ''));
        if (v === undefined) throw invalid(`Invalid order by field name: ${name}`);
        return v;
      });
      const { page, next } = pageOf(sorted, b.page_token, max);
      const out = [];
      for (const m of page) out.push((await message(m)).model);
      return { models: out, ...(next ? { next_page_token: next } : {}) };
    },
  );
}
