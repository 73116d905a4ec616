import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactContext, StoredFile } from '../artifacts/context.ts';
import { LockstepError } from '../errors.ts';
import type { Driver, Row } from '../store/driver.ts';
import { type Detected, detectFormat, detectOnnxFiles, unservable } from './detect.ts';
import { checkModelFile, type ModelFile, parseModelFile } from './format.ts';
import { LoadedModel } from './loaded.ts';
import type { OnnxSchema } from './onnx/model.ts';
import {
  createModel,
  deleteModel,
  deleteTag,
  describeModel,
  insertVersion,
  renameModel,
  updateVersion,
} from './registry-models.ts';
import { checkAlias, checkName, decodeVersion, readAliases, readTags, setAlias, setTag } from './registry-rows.ts';
import type { ModelVersion, RegisteredModel, RegisterVersionOptions, VersionFromFiles } from './registry-types.ts';
import { MlServable, type ServableModel } from './servable.ts';
import { type ModelRef, parseModelUri } from './uri.ts';

export type { ModelVersion, RegisteredModel, RegisterVersionOptions, VersionFromFiles } from './registry-types.ts';

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
    await this.ctx.init();
    const tree = await this.ctx.storeTree(Buffer.from(JSON.stringify(checked)), `model ${name}`);
    const detected: Detected = {
      format: 'lockstep',
      algorithm: checked.algorithm,
      inputSchema: { features: checked.features.map((f) => ({ name: f, type: 'number' })) },
      labels: checked.labels,
    };
    return this.insertVersion(name, [{ path: 'model.json', digest: tree.digest, size: tree.size }], detected, options);
  }

  /**
   * Registers a version made of files already in the blob store (a run's
   * artifacts, say); their format is read from them: an MLflow model
   * directory, a lockstep model file, or files lockstep does not know.
   */
  async registerFiles(name: string, options: VersionFromFiles): Promise<ModelVersion> {
    checkName(name);
    await this.ctx.init();
    const detected = await detectFormat(options.files, (f) => this.readBlob(f.digest));
    return this.insertVersion(name, options.files, detected, options);
  }

  /**
   * Registers an ONNX model: a `.onnx` file, its bytes, or an MLflow model
   * directory whose `MLmodel` has an `onnx` flavor. The file is checked
   * (E_CODEC when it is not a usable ONNX model) and its signature recorded:
   * inputs, outputs, and for a classifier (sklearn-onnx's label and
   * probabilities outputs) its classes. `schema` names what the file does
   * not: the columns of its one 2-D input, the classes, the target column.
   *
   * @example
   * ```ts
   * await session.models.registerOnnx('iris-onnx', './model.onnx', {
   *   schema: { features: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'], target: 'species' },
   *   aliases: ['champion'],
   * });
   * ```
   */
  async registerOnnx(
    name: string,
    source: string | Uint8Array,
    options: RegisterVersionOptions & { schema?: Partial<OnnxSchema> } = {},
  ): Promise<ModelVersion> {
    checkName(name);
    await this.ctx.init();
    const where = typeof source === 'string' ? source : `model ${name}`;
    const tree = await this.ctx.storeTree(source, `model ${name}`);
    const files = tree.kind === 'file' ? [{ path: 'model.onnx', digest: tree.digest, size: tree.size }] : tree.files;
    const detected = await detectOnnxFiles(files, (f) => this.readBlob(f.digest), options.schema, where);
    return this.insertVersion(name, files, detected, options);
  }

  private async insertVersion(
    name: string,
    files: StoredFile[],
    detected: Detected,
    options: RegisterVersionOptions & { source?: string | null },
  ): Promise<ModelVersion> {
    await this.ctx.init();
    return this.version(name, await insertVersion(this.ctx, name, files, detected, options));
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

  /** One registered model. */
  async get(name: string): Promise<RegisteredModel> {
    await this.requireModel(name);
    const d = this.db.dialect;
    const [r] = await this.db.all(
      `SELECT m.name, m.description, m.created_at, m.updated_at, MAX(v.version) AS latest, COUNT(v.id) AS n
       FROM registered_models m LEFT JOIN model_versions v ON v.model = m.name
       WHERE m.name = ? GROUP BY m.name, m.description, m.created_at, m.updated_at`,
      [name],
    );
    const row = r as Row;
    return {
      name,
      description: (row.description as string | null) ?? null,
      latestVersion: row.latest === null ? null : Number(row.latest),
      versions: Number(row.n),
      aliases: await this.aliases(name),
      tags: await this.tags(name, 0),
      createdAt: d.fromColumn('date', row.created_at) as Date,
      updatedAt: d.fromColumn('date', row.updated_at) as Date,
    };
  }

  /** Creates a model with no versions (`register` also creates one on its first version). */
  async createModel(
    name: string,
    options: { description?: string | null; tags?: Record<string, string> } = {},
  ): Promise<RegisteredModel> {
    await this.ctx.init();
    await createModel(this.db, name, options);
    return this.get(name);
  }

  async describeModel(name: string, description: string | null): Promise<RegisteredModel> {
    await this.requireModel(name);
    await describeModel(this.db, name, description);
    return this.get(name);
  }

  /** Renames a model; its versions, aliases and tags follow (URIs with the old name stop resolving). */
  async renameModel(name: string, newName: string): Promise<RegisteredModel> {
    await this.requireModel(name);
    await renameModel(this.db, name, newName);
    return this.get(newName);
  }

  /** Deletes a model with every version, alias and tag; gc frees its files. */
  async deleteModel(name: string): Promise<void> {
    await this.requireModel(name);
    await deleteModel(this.db, name);
  }

  /** Changes a version's description and/or (MLflow's) stage. */
  async updateVersion(
    name: string,
    version: number,
    change: { description?: string | null; stage?: string; archiveOthers?: boolean },
  ): Promise<ModelVersion> {
    await this.version(name, version);
    await updateVersion(this.db, name, version, change);
    return this.version(name, version);
  }

  /** Deletes a tag of a version, or of the model itself when `version` is null; false when it had none. */
  async deleteTag(name: string, version: number | null, key: string): Promise<boolean> {
    if (version === null) await this.requireModel(name);
    else await this.version(name, version);
    return deleteTag(this.db, name, version ?? 0, key);
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
    if (n === 0)
      throw new LockstepError('E_NOT_FOUND', `model ${name} has no alias "${alias}"`, { details: { name, alias } });
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

  /** The model file of a version, read from the blob store and checked; versions of other formats are refused. */
  async file(ref: string | ModelRef | ModelVersion): Promise<{ version: ModelVersion; file: ModelFile }> {
    await this.ctx.init();
    const version = typeof ref === 'object' && 'digest' in ref ? ref : await this.resolve(ref);
    const where = `models:/${version.model}/${version.version}`;
    if (version.format !== 'lockstep') {
      if (version.format === 'onnx')
        throw new LockstepError(
          'E_INPUT',
          `${where} is an ONNX model, not a lockstep model file: open it with session.models.open(uri)`,
        );
      throw unservable(version);
    }
    const [stored] = await this.files(version);
    const text = await this.readBlob(stored?.digest ?? version.digest).catch((e) => {
      throw new LockstepError(
        'E_NOT_FOUND',
        `${where}: its model file (blob ${version.digest}) is missing from ${this.ctx.blobs.location}`,
        { cause: e },
      );
    });
    return { version, file: parseModelFile(text.toString('utf8'), where) };
  }

  /** The files of a version, paths relative to the model's directory (none for an `external` version). */
  async files(ref: string | ModelRef | ModelVersion): Promise<StoredFile[]> {
    await this.ctx.init();
    const version = typeof ref === 'object' && 'digest' in ref ? ref : await this.resolve(ref);
    return this.ctx.readFiles(version.id);
  }

  /** Writes a version's files into the directory `dest` (whatever their format) and returns it. */
  async download(ref: string | ModelRef | ModelVersion, dest: string): Promise<string> {
    const version = typeof ref === 'object' && 'digest' in ref ? ref : await this.resolve(ref);
    const files = await this.files(version);
    if (files.length === 0)
      throw new LockstepError(
        'E_NOT_FOUND',
        `models:/${version.model}/${version.version} has no files in lockstep: it points at ${version.source ?? 'nothing'}`,
      );
    await this.ctx.materialise({ kind: 'dir', files }, dest);
    return dest;
  }

  private async readBlob(digest: string): Promise<Buffer> {
    const local = this.ctx.blobs.localPath?.(digest);
    if (local) return readFile(local);
    const tmp = join(this.ctx.cacheDir, 'tmp', randomUUID());
    await this.ctx.blobs.getFile(digest, tmp);
    return readFile(tmp).finally(() => rm(tmp, { force: true }));
  }

  /**
   * Opens a version for serving, whatever its servable format: a lockstep
   * model file, or an ONNX model (through onnxruntime-node, which must be
   * installed). Close it when done.
   */
  async open(ref: string | ModelRef | ModelVersion): Promise<ServableModel> {
    await this.ctx.init();
    const version = typeof ref === 'object' && 'digest' in ref ? ref : await this.resolve(ref);
    if (version.format !== 'onnx') {
      const { file } = await this.file(version);
      return new MlServable(new LoadedModel(file), version);
    }
    const where = `models:/${version.model}/${version.version}`;
    const record = version.inputSchema.onnx;
    const stored = (await this.files(version)).find((f) => f.path === record?.path);
    if (!record || !stored) throw new LockstepError('E_CODEC', `${where}: its ONNX file is not recorded`);
    const bytes = await this.readBlob(stored.digest).catch((e) => {
      throw new LockstepError('E_NOT_FOUND', `${where}: its ONNX file (blob ${stored.digest}) is missing`, {
        cause: e,
      });
    });
    const schema = {
      features: version.inputSchema.features.map((f) => f.name),
      labels: version.labels,
      target: version.inputSchema.target ?? null,
    };
    // loaded on use: ONNX's protobuf schema (protobufjs) is not for every session that opens
    const { OnnxModel } = await import('./onnx/model.ts');
    return OnnxModel.open(bytes, version, schema, where);
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

  private aliases(name: string): Promise<Record<string, number>> {
    return readAliases(this.db, name);
  }

  private tags(name: string, version: number): Promise<Record<string, string>> {
    return readTags(this.db, name, version);
  }

  private decode(r: Row, aliases: Record<string, number>): Promise<ModelVersion> {
    return decodeVersion(this.db, r, aliases);
  }
}
