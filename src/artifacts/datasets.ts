import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { LockstepError } from '../errors.ts';
import type { Row } from '../store/driver.ts';
import type { ArtifactContext, StoredFile } from './context.ts';
import { under } from './paths.ts';
import { type DatasetSchema, inferSchema } from './schema.ts';

/** A registered dataset version. */
export interface DatasetInfo {
  id: string;
  name: string;
  version: string;
  kind: 'file' | 'dir';
  digest: string;
  size: number;
  fileCount: number;
  source: string | null;
  schema: DatasetSchema | null;
  createdAt: Date;
}

export interface RegisterDatasetOptions {
  /** Default: the next integer ("1", "2", …); registering unchanged content again returns the latest version. */
  version?: string;
  /** Where the data came from (a URL, a query, a paper). */
  source?: string;
  /** A schema to record instead of the inferred one. */
  schema?: DatasetSchema;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const SCHEMA_MAX_BYTES = 64 * 1024 ** 2;

/**
 * Named, versioned datasets: content digest, size, files and an inferred
 * CSV/JSON schema; runs declare what they use (lineage) and get a local copy
 * fetched once into the cache.
 *
 * @example
 * ```ts
 * await session.datasets.register('iris', './data/iris.csv', { source: 'UCI' });
 * // in a step: const path = await run.useDataset('iris');
 * ```
 */
export class DatasetRegistry {
  /** @internal use `session.datasets` */
  constructor(private readonly ctx: ArtifactContext) {}

  async register(name: string, path: string, options: RegisterDatasetOptions = {}): Promise<DatasetInfo> {
    if (typeof name !== 'string' || !NAME.test(name)) {
      throw new LockstepError('E_INPUT', `dataset name "${name}" must be letters, digits, "_", "." or "-"`);
    }
    if (options.version !== undefined && (typeof options.version !== 'string' || !NAME.test(options.version))) {
      throw new LockstepError(
        'E_INPUT',
        `dataset version "${options.version}" must be letters, digits, "_", "." or "-"`,
      );
    }
    await this.ctx.init();
    const tree = await this.ctx.storeTree(path, `dataset "${name}"`);
    const latest = await this.find(name, options.version);
    if (latest?.digest === tree.digest) return latest;
    if (options.version !== undefined && latest) {
      throw new LockstepError(
        'E_CONFLICT',
        `dataset ${name}@${options.version} already exists with other content (${latest.digest.slice(0, 12)}); register a new version`,
      );
    }
    const schema = options.schema ?? (await this.infer(path, tree.kind, tree.files));
    const version = options.version ?? String(await this.nextVersion(name));
    const info: DatasetInfo = {
      id: randomUUID(),
      name,
      version,
      kind: tree.kind,
      digest: tree.digest,
      size: tree.size,
      fileCount: tree.files.length,
      source: options.source ?? null,
      schema,
      createdAt: new Date(),
    };
    const d = this.ctx.driver.dialect;
    const lockId = await producedBy(path);
    await this.ctx.driver.transaction(async (tx) => {
      await tx.run(
        'INSERT INTO datasets (id, name, version, kind, digest, size, file_count, source, schema, created_at, lock_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [
          info.id,
          name,
          version,
          info.kind,
          info.digest,
          info.size,
          info.fileCount,
          info.source,
          d.toParam('json', schema),
          d.toParam('date', info.createdAt),
          lockId,
        ],
      );
      await this.ctx.writeFiles(tx, info.id, tree.files);
    });
    return info;
  }

  private async infer(path: string, kind: 'file' | 'dir', files: StoredFile[]): Promise<DatasetSchema | null> {
    const out: DatasetSchema = {};
    for (const f of files) {
      if (f.size > SCHEMA_MAX_BYTES) continue;
      const abs = kind === 'file' ? path : under(path, f.path);
      const schema = inferSchema(await readFile(abs, 'utf8'), kind === 'file' ? basename(path) : f.path);
      if (schema) out[f.path] = schema;
    }
    return Object.keys(out).length ? out : null;
  }

  private async nextVersion(name: string): Promise<number> {
    const rows = await this.ctx.driver.all<{ version: string }>('SELECT version FROM datasets WHERE name = ?', [name]);
    return rows.reduce((m, r) => Math.max(m, /^\d+$/.test(r.version) ? Number(r.version) : 0), 0) + 1;
  }

  /** Every dataset version, newest first within a name. */
  async list(name?: string): Promise<DatasetInfo[]> {
    await this.ctx.init();
    const rows = await this.ctx.driver.all(
      `SELECT * FROM datasets${name ? ' WHERE name = ?' : ''} ORDER BY name, created_at DESC`,
      name ? [name] : [],
    );
    return rows.map((r) => this.decode(r));
  }

  private async find(name: string, version?: string): Promise<DatasetInfo | undefined> {
    await this.ctx.init();
    const rows = await this.ctx.driver.all(
      version === undefined
        ? 'SELECT * FROM datasets WHERE name = ? ORDER BY created_at DESC LIMIT 1'
        : 'SELECT * FROM datasets WHERE name = ? AND version = ?',
      version === undefined ? [name] : [name, version],
    );
    return rows[0] ? this.decode(rows[0]) : undefined;
  }

  /** A dataset version (the latest without `version`); E_NOT_FOUND names what exists. */
  async get(name: string, version?: string): Promise<DatasetInfo> {
    const found = await this.find(name, version);
    if (found) return found;
    const versions = (await this.list(name)).map((d) => d.version);
    throw new LockstepError(
      'E_NOT_FOUND',
      versions.length
        ? `dataset ${name} has no version "${version}" (versions: ${versions.join(', ')})`
        : `no dataset named "${name}"; register it with session.datasets.register("${name}", path)`,
      { details: { name, version } },
    );
  }

  /**
   * Deletes a dataset version. The runs that used it keep their lineage rows
   * (naming a version that is gone); its blobs stay until `gc`.
   */
  async delete(name: string, version: string): Promise<void> {
    const info = await this.get(name, version);
    await this.ctx.driver.transaction(async (tx) => {
      await tx.run('DELETE FROM stored_files WHERE owner = ?', [info.id]);
      await tx.run('DELETE FROM datasets WHERE id = ?', [info.id]);
    });
  }

  /** A local path to a dataset version, fetched into the cache on first use. */
  async fetch(name: string, version?: string): Promise<string> {
    const info = await this.get(name, version);
    const files = await this.ctx.readFiles(info.id);
    const fileName = info.kind === 'file' ? this.fileName(info) : '';
    return this.ctx.cached({ kind: info.kind, digest: info.digest, size: info.size, files }, fileName);
  }

  /** A single-file dataset keeps a name with the right extension, so readers can tell CSV from JSON. */
  private fileName(info: DatasetInfo): string {
    const key = info.schema ? Object.values(info.schema)[0]?.format : undefined;
    return `${info.name}${key ? `.${key}` : ''}`;
  }

  /** Records that a run used a dataset version (lineage) and returns its local path. */
  async use(experimentId: string, runId: string, name: string, version?: string): Promise<string> {
    const info = await this.get(name, version);
    const path = await this.fetch(name, info.version);
    await this.ctx.driver.insert({
      table: 'dataset_uses',
      columns: ['experiment_id', 'run_id', 'dataset_id', 'used_at'],
      rows: [[experimentId, runId, info.id, this.ctx.driver.dialect.toParam('date', new Date())]],
      conflict: ['run_id', 'dataset_id'],
    });
    return path;
  }

  /** The dataset versions a run used. */
  async usedBy(runId: string): Promise<DatasetInfo[]> {
    await this.ctx.init();
    const rows = await this.ctx.driver.all(
      'SELECT d.* FROM dataset_uses u JOIN datasets d ON d.id = u.dataset_id WHERE u.run_id = ? ORDER BY d.name',
      [runId],
    );
    return rows.map((r) => this.decode(r));
  }

  private decode(r: Row): DatasetInfo {
    const d = this.ctx.driver.dialect;
    return {
      id: r.id as string,
      name: r.name as string,
      version: r.version as string,
      kind: r.kind as 'file' | 'dir',
      digest: r.digest as string,
      size: Number(r.size),
      fileCount: Number(r.file_count),
      source: (r.source as string | null) ?? null,
      schema: d.fromColumn('json', r.schema) as DatasetSchema | null,
      createdAt: d.fromColumn('date', r.created_at) as Date,
    };
  }
}

/** The id of the run.lock at or above a path: the run that produced the files, when one did. */
async function producedBy(path: string): Promise<string | null> {
  // loaded on use: the run-lock code (and its YAML parser) is not for every session that opens
  const [{ nearestLock }, { readLock }] = await Promise.all([
    import('../lock/lineage.ts'),
    import('../lock/format.ts'),
  ]);
  const file = nearestLock(path);
  if (!file) return null;
  try {
    return readLock(file).lock.id;
  } catch {
    return null; // an unreadable run.lock links nothing
  }
}
