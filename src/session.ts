import type { ArtifactStore } from './artifacts/artifacts.ts';
import type { ArtifactOptions } from './artifacts/context.ts';
import type { DatasetInfo, DatasetRegistry, RegisterDatasetOptions } from './artifacts/datasets.ts';
import { ArtifactHub } from './artifacts/hub.ts';
import { type CopyOptions, copyExperiments, type ExperimentCopyReport } from './copy/copy.ts';
import { Experiment } from './core/experiment.ts';
import { Run } from './core/run.ts';
import { isLockstepError, LockstepError } from './errors.ts';
import type { ModelRegistry } from './models/registry.ts';
import { type RemoteOptions, RemoteStore } from './remote/store.ts';
import type { Row } from './store/driver.ts';
import { defaultUrl, openDriver } from './store/open.ts';
import { type ExperimentRecord, Store } from './store/store.ts';

/** An experiment as `listExperiments` describes it. */
export interface ExperimentInfo {
  id: string;
  name: string;
  description: string | null;
  tableName: string;
  runs: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface SessionOptions {
  /** Where blobs and the dataset cache live (default: next to a SQLite file, or `LOCKSTEP_BLOBS`), and the size limit. */
  artifacts?: ArtifactOptions;
  /** Remote sessions (`http(s)://`): the server's bearer token (else `LOCKSTEP_TOKEN`). */
  token?: string;
  /** Remote sessions: retries, backoff, and the offline outbox file (`false` to fail instead of buffering). */
  remote?: RemoteOptions;
}

export interface CreateExperimentOptions {
  description?: string;
  /** What to do when the name is taken: fail (default), load the stored experiment, or replace it. */
  ifExists?: 'error' | 'load' | 'replace';
}

/**
 * A connection to one database. Creates, loads, lists and deletes
 * experiments, and answers SQL.
 *
 * @example
 * ```ts
 * const session = await createSession('sqlite:./results.db');
 * const exp = await session.createExperiment('iris', { description: 'ml.js classifiers' });
 * const rows = await session.query('SELECT * FROM experiment_iris ORDER BY accuracy DESC');
 * await session.close();
 * ```
 */
export class Session {
  /** @internal use {@link createSession} */
  constructor(
    readonly store: Store,
    readonly url: string,
    private readonly options: SessionOptions = {},
  ) {}

  private hub: ArtifactHub | undefined;
  /** @internal artifacts, datasets and models of this session, set up on first use */
  get artifactHub(): ArtifactHub {
    this.hub ??= new ArtifactHub(this.store.driver, this.url, this.options.artifacts);
    return this.hub;
  }

  /** Per-run artifacts: list, read, download. */
  get artifacts(): ArtifactStore {
    return this.artifactHub.artifacts;
  }

  /** Registered datasets: register, list, get, fetch. */
  get datasets(): DatasetRegistry {
    return this.artifactHub.datasets;
  }

  /** The model registry: versions, aliases, tags; `load('models:/iris@champion')`. */
  get models(): ModelRegistry {
    return this.artifactHub.models;
  }

  /**
   * Registers a file or directory as a dataset version: digest, size, files
   * and a schema inferred from CSV/JSON.
   *
   * @example
   * ```ts
   * const ds = await session.registerDataset('iris', './data/iris.csv', { source: 'UCI' });
   * console.log(ds.version, ds.digest, ds.schema);
   * ```
   */
  registerDataset(name: string, path: string, options?: RegisterDatasetOptions): Promise<DatasetInfo> {
    return this.datasets.register(name, path, options);
  }

  private attach(exp: Experiment): Experiment {
    exp.runs.services = this.artifactHub.servicesFor(exp.id);
    return exp;
  }

  async createExperiment(name: string, options: CreateExperimentOptions = {}): Promise<Experiment> {
    const ifExists = options.ifExists ?? 'error';
    if (!['error', 'load', 'replace'].includes(ifExists)) {
      throw new LockstepError(
        'E_INPUT',
        `createExperiment: ifExists must be "error", "load" or "replace", got "${ifExists}"`,
      );
    }
    if (ifExists !== 'error' && (await this.store.getExperiment(name))) {
      if (ifExists === 'load') return this.loadExperiment(name);
      await this.store.deleteExperiment(name);
    }
    let record: ExperimentRecord;
    try {
      record = await this.store.createExperiment(name, options.description ?? null);
    } catch (e) {
      // several processes starting the same script at once: the first creates it, the others load it
      if (ifExists === 'load' && isLockstepError(e, 'E_CONFLICT') && (await this.store.getExperiment(name)))
        return this.loadExperiment(name);
      throw e;
    }
    return this.attach(new Experiment(this.store, record));
  }

  /** Loads an experiment and all its runs, values back in their original types. */
  async loadExperiment(name: string): Promise<Experiment> {
    const record = await this.store.requireExperiment(name);
    const exp = this.attach(new Experiment(this.store, record));
    for (const rec of await this.store.readRuns(record)) exp.runs.add(Run.fromRecord(rec));
    return exp;
  }

  async listExperiments(): Promise<ExperimentInfo[]> {
    return (await this.store.listExperiments()).map((e) => ({
      id: e.id,
      name: e.name,
      description: e.description,
      tableName: e.tableName,
      runs: e.runs,
      createdAt: e.createdAt,
      updatedAt: e.updatedAt,
    }));
  }

  /**
   * Copies an experiment into another session's database (SQLite ↔
   * PostgreSQL, or from a server into a database): runs with every value
   * exact, metrics, tags, locks and their lineage, artifacts and their blobs,
   * and the model versions and datasets of its runs. Runs merge into an
   * experiment of the same name by identity; copying again adds nothing.
   *
   * @example
   * ```ts
   * const laptop = await createSession('./lockstep.db');
   * const team = await createSession('postgres://db.lab/ml');
   * const report = await laptop.copyExperiment('iris', team);
   * console.log(report.runs, report.points);
   * ```
   */
  async copyExperiment(name: string, to: Session, options: CopyOptions = {}): Promise<ExperimentCopyReport> {
    const [report] = await copyExperiments(this, to, { ...options, experiments: [name] });
    return report as ExperimentCopyReport;
  }

  async deleteExperiment(name: string): Promise<void> {
    await this.store.deleteExperiment(name);
  }

  /**
   * Runs SQL and returns plain row objects. Placeholders are the backend's
   * own: `?` on SQLite, `$1` on PostgreSQL.
   */
  query(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.store.query(sql, params);
  }

  /** The backend behind this session: 'sqlite' or 'postgres'. */
  get dialect(): 'sqlite' | 'postgres' {
    return this.store.driver.dialect.name;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/**
 * Opens a session on a database: `:memory:`, a file path or `sqlite:path`, or
 * `postgres://…`. Without a URL: `LOCKSTEP_DB`, else `./lockstep.db`.
 * `http(s)://host:port` opens a remote session on a lockstep tracking server
 * (`lockstep ui`): the same API; writes are batched, retried and, while the
 * server is unreachable, buffered for `lockstep sync`.
 */
export async function createSession(url: string = defaultUrl(), options: SessionOptions = {}): Promise<Session> {
  if (/^https?:\/\//i.test(url)) {
    // a lockstep tracking server: the same API, over HTTP, with an offline outbox
    const remote = new RemoteStore(url, { ...options.remote, token: options.token ?? options.remote?.token });
    await remote.init();
    return new Session(remote, url, options);
  }
  const store = new Store(await openDriver(url));
  await store.init();
  return new Session(store, url, options);
}
