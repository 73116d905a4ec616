import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactContext } from '../artifacts/context.ts';
import { LockstepError } from '../errors.ts';
import type { Driver, Row } from '../store/driver.ts';
import { checkModelFile, type ModelFile, parseModelFile } from './format.ts';
import { LoadedModel } from './loaded.ts';
import { checkAlias, checkName, setAlias, setTag } from './registry-rows.ts';
import { type ModelRef, parseModelUri } from './uri.ts';

/** One numbered version of a registered model. */
export interface ModelVersion {
  model: string;
  version: number;
  runId: string | null;
  experimentId: string | null;
  digest: string;
  size: number;
  algorithm: string;
  inputSchema: { features: { name: string; type: 'number' }[] };
  labels: string[];
  metrics: Record<string, number>;
  tags: Record<string, string>;
  aliases: string[];
  description: string | null;
  createdAt: Date;
}

export interface RegisteredModel {
  name: string;
  description: string | null;
  latestVersion: number | null;
  versions: number;
  aliases: Record<string, number>;
  tags: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
}

export interface RegisterVersionOptions {
  runId?: string;
  experimentId?: string;
  metrics?: Record<string, number>;
  tags?: Record<string, string>;
  description?: string;
  /** Aliases to point at the new version (moved from wherever they were). */
  aliases?: string[];
}

/**
 * The model registry: registered models, numbered versions linked to the run
 * that made them, tags, and aliases such as `champion` that move between
 * versions. Model files live in the blob store.
 *
 * @example
 * ```ts
 * const v = await session.models.register('iris', file, { runId: run.id, metrics: { accuracy: 0.97 }, aliases: ['champion'] });
 * const model = await session.models.load('models:/iris@champion');
 * ```
 */
export class ModelRegistry {
  /** @internal use `session.models` */
  constructor(private readonly ctx: ArtifactContext) {}

  private get db(): Driver {
    return this.ctx.driver;
  }

  /** Registers a new version of `name` (creating the model on first use). */
  async register(name: string, file: ModelFile, options: RegisterVersionOptions = {}): Promise<ModelVersion> {
    checkName(name);
    const checked = checkModelFile(file, `model ${name}`);
    for (const a of options.aliases ?? []) checkAlias(a);
    const metrics = options.metrics ?? {};
    for (const [k, v] of Object.entries(metrics)) {
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new LockstepError('E_INPUT', `metric "${k}" must be a finite number`);
    }
    await this.ctx.init();
    const tree = await this.ctx.storeTree(Buffer.from(JSON.stringify(checked)), `model ${name}`);
    const d = this.db.dialect;
    const now = new Date();
    const id = randomUUID();
    const version = await this.db.transaction(async (tx) => {
      const [known] = await tx.all('SELECT name FROM registered_models WHERE name = ?', [name]);
      if (known)
        await tx.run('UPDATE registered_models SET updated_at = ? WHERE name = ?', [d.toParam('date', now), name]);
      else {
        await tx.run('INSERT INTO registered_models (name, description, created_at, updated_at) VALUES (?, ?, ?, ?)', [
          name,
          null,
          d.toParam('date', now),
          d.toParam('date', now),
        ]);
      }
      const [row] = await tx.all<{ v: unknown }>('SELECT MAX(version) AS v FROM model_versions WHERE model = ?', [
        name,
      ]);
      const v = Number(row?.v ?? 0) + 1;
      await tx.run(
        `INSERT INTO model_versions (id, model, version, experiment_id, run_id, digest, size, algorithm, input_schema, labels, metrics, description, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          id,
          name,
          v,
          options.experimentId ?? null,
          options.runId ?? null,
          tree.digest,
          tree.size,
          checked.algorithm,
          d.toParam('json', { features: checked.features.map((f) => ({ name: f, type: 'number' })) }),
          d.toParam('json', checked.labels),
          d.toParam('json', metrics),
          options.description ?? null,
          d.toParam('date', now),
        ],
      );
      await this.ctx.writeFiles(tx, id, [{ path: 'model.json', digest: tree.digest, size: tree.size }]);
      for (const [k, val] of Object.entries(options.tags ?? {})) await setTag(tx, name, v, k, val);
      for (const a of options.aliases ?? []) await setAlias(tx, name, a, v);
      return v;
    });
    return this.version(name, version);
  }

  /** Every registered model with its latest version and aliases. */
  async list(): Promise<RegisteredModel[]> {
    await this.ctx.init();
    const d = this.db.dialect;
    const rows = await this.db.all(
      `SELECT m.name, m.description, m.created_at, m.updated_at, MAX(v.version) AS latest, COUNT(v.id) AS n
       FROM registered_models m LEFT JOIN model_versions v ON v.model = m.name
       GROUP BY m.name, m.description, m.created_at, m.updated_at ORDER BY m.name`,
    );
    const out: RegisteredModel[] = [];
    for (const r of rows) {
      out.push({
        name: r.name as string,
        description: (r.description as string | null) ?? null,
        latestVersion: r.latest === null ? null : Number(r.latest),
        versions: Number(r.n),
        aliases: await this.aliases(r.name as string),
        tags: await this.tags(r.name as string, 0),
        createdAt: d.fromColumn('date', r.created_at) as Date,
        updatedAt: d.fromColumn('date', r.updated_at) as Date,
      });
    }
    return out;
  }

  /** The versions of a model, newest first. */
  async versions(name: string): Promise<ModelVersion[]> {
    await this.requireModel(name);
    const rows = await this.db.all('SELECT * FROM model_versions WHERE model = ? ORDER BY version DESC', [name]);
    const aliases = await this.aliases(name);
    return Promise.all(rows.map((r) => this.decode(r, aliases)));
  }

  async version(name: string, version: number): Promise<ModelVersion> {
    await this.requireModel(name);
    const [row] = await this.db.all('SELECT * FROM model_versions WHERE model = ? AND version = ?', [name, version]);
    if (!row) {
      const have = (
        await this.db.all<{ version: unknown }>('SELECT version FROM model_versions WHERE model = ? ORDER BY version', [
          name,
        ])
      ).map((r) => Number(r.version));
      throw new LockstepError(
        'E_NOT_FOUND',
        `model ${name} has no version ${version} (versions: ${have.join(', ') || 'none'})`,
        {
          details: { name, version },
        },
      );
    }
    return this.decode(row, await this.aliases(name));
  }

  /** The version a URI or reference names: `models:/iris@champion`, `models:/iris/3`, `models:/iris` (latest). */
  async resolve(ref: string | ModelRef): Promise<ModelVersion> {
    const r = typeof ref === 'string' ? parseModelUri(ref) : ref;
    await this.requireModel(r.name);
    if (r.version !== undefined) return this.version(r.name, r.version);
    if (r.alias !== undefined) {
      const aliases = await this.aliases(r.name);
      const v = aliases[r.alias];
      if (v === undefined) {
        const known = Object.entries(aliases).map(([a, n]) => `${a} → ${n}`);
        throw new LockstepError(
          'E_NOT_FOUND',
          `model ${r.name} has no alias "${r.alias}" (${known.length ? `aliases: ${known.join(', ')}` : 'it has no aliases'}); set one with: lockstep models alias ${r.name} ${r.alias} VERSION`,
          { details: { name: r.name, alias: r.alias } },
        );
      }
      return this.version(r.name, v);
    }
    const [row] = await this.db.all<{ v: unknown }>('SELECT MAX(version) AS v FROM model_versions WHERE model = ?', [
      r.name,
    ]);
    if (row?.v === null || row?.v === undefined)
      throw new LockstepError('E_NOT_FOUND', `model ${r.name} has no versions yet`);
    return this.version(r.name, Number(row.v));
  }

  /** Points an alias at a version (moving it if it pointed elsewhere). */
  async setAlias(name: string, alias: string, version: number): Promise<ModelVersion> {
    checkAlias(alias);
    await this.version(name, version);
    await this.db.transaction((tx) => setAlias(tx, name, alias, version));
    return this.version(name, version);
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    await this.requireModel(name);
    const n = await this.db.run('DELETE FROM model_aliases WHERE model = ? AND alias = ?', [name, alias]);
    if (n === 0) throw new LockstepError('E_NOT_FOUND', `model ${name} has no alias "${alias}"`);
  }

  /**
   * Deletes a version: its row, tags and the aliases pointing at it. Its
   * model file stays in the blob store until `gc` finds nothing else uses it.
   */
  async deleteVersion(name: string, version: number): Promise<void> {
    const v = await this.version(name, version);
    await this.db.transaction(async (tx) => {
      const [row] = await tx.all<{ id: string }>('SELECT id FROM model_versions WHERE model = ? AND version = ?', [
        name,
        version,
      ]);
      await tx.run('DELETE FROM stored_files WHERE owner = ?', [row?.id ?? '']);
      await tx.run('DELETE FROM model_aliases WHERE model = ? AND version = ?', [name, v.version]);
      await tx.run('DELETE FROM model_tags WHERE model = ? AND version = ?', [name, v.version]);
      await tx.run('DELETE FROM model_versions WHERE model = ? AND version = ?', [name, v.version]);
    });
  }

  /** Sets a tag on a version, or on the model itself when `version` is null. */
  async setTag(name: string, version: number | null, key: string, value: string): Promise<void> {
    if (version === null) await this.requireModel(name);
    else await this.version(name, version);
    await setTag(this.db, name, version ?? 0, key, value);
  }

  /** The model file of a version, read from the blob store and checked. */
  async file(ref: string | ModelRef | ModelVersion): Promise<{ version: ModelVersion; file: ModelFile }> {
    await this.ctx.init();
    const version = typeof ref === 'object' && 'digest' in ref ? ref : await this.resolve(ref);
    const where = `models:/${version.model}/${version.version}`;
    const local = this.ctx.blobs.localPath?.(version.digest);
    let text: string;
    if (local) {
      text = await readFile(local, 'utf8').catch((e) => {
        throw new LockstepError(
          'E_NOT_FOUND',
          `${where}: its model file (blob ${version.digest}) is missing from ${this.ctx.blobs.location}`,
          { cause: e },
        );
      });
    } else {
      const tmp = join(this.ctx.cacheDir, 'tmp', randomUUID());
      await this.ctx.blobs.getFile(version.digest, tmp);
      text = await readFile(tmp, 'utf8').finally(() => rm(tmp, { force: true }));
    }
    return { version, file: parseModelFile(text, where) };
  }

  /** Loads a version for prediction. */
  async load(ref: string | ModelRef | ModelVersion): Promise<LoadedModel & { version: ModelVersion }> {
    const { version, file } = await this.file(ref);
    return Object.assign(new LoadedModel(file), { version });
  }

  private async requireModel(name: string): Promise<void> {
    checkName(name);
    await this.ctx.init();
    const [row] = await this.db.all('SELECT name FROM registered_models WHERE name = ?', [name]);
    if (!row) {
      const names = (await this.db.all<{ name: string }>('SELECT name FROM registered_models ORDER BY name')).map(
        (r) => r.name,
      );
      throw new LockstepError(
        'E_NOT_FOUND',
        `no registered model named "${name}"${names.length ? ` (models: ${names.join(', ')})` : ' (the registry is empty)'}`,
        { details: { name } },
      );
    }
  }

  private async aliases(name: string): Promise<Record<string, number>> {
    const rows = await this.db.all<{ alias: string; version: unknown }>(
      'SELECT alias, version FROM model_aliases WHERE model = ? ORDER BY alias',
      [name],
    );
    return Object.fromEntries(rows.map((r) => [r.alias, Number(r.version)]));
  }

  private async tags(name: string, version: number): Promise<Record<string, string>> {
    const rows = await this.db.all<{ key: string; value: string }>(
      'SELECT key, value FROM model_tags WHERE model = ? AND version = ? ORDER BY key',
      [name, version],
    );
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  private async decode(r: Row, aliases: Record<string, number>): Promise<ModelVersion> {
    const d = this.db.dialect;
    const version = Number(r.version);
    return {
      model: r.model as string,
      version,
      runId: (r.run_id as string | null) ?? null,
      experimentId: (r.experiment_id as string | null) ?? null,
      digest: r.digest as string,
      size: Number(r.size),
      algorithm: r.algorithm as string,
      inputSchema: d.fromColumn('json', r.input_schema) as ModelVersion['inputSchema'],
      labels: d.fromColumn('json', r.labels) as string[],
      metrics: d.fromColumn('json', r.metrics) as Record<string, number>,
      tags: await this.tags(r.model as string, version),
      aliases: Object.entries(aliases)
        .filter(([, v]) => v === version)
        .map(([a]) => a),
      description: (r.description as string | null) ?? null,
      createdAt: d.fromColumn('date', r.created_at) as Date,
    };
  }
}
