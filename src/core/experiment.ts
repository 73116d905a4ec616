import { LockstepError } from '../errors.ts';
import { executeExperiment } from '../exec/dispatch.ts';
import { executeRun } from '../exec/inline.ts';
import { Recorder, writeNow } from '../exec/recorder.ts';
import { stepNames } from '../exec/steps.ts';
import type { ExecuteOptions, ExecuteSummary, Step, Steps } from '../exec/types.ts';
import type { ExperimentRecord, MetricPoint, Store } from '../store/store.ts';
import { type Grid, product } from './grid.ts';
import { RunIds } from './identity.ts';
import { Run } from './run.ts';
import { Runs } from './runs.ts';

/**
 * A named collection of runs, bound to the store of the session that created
 * or loaded it.
 *
 * @example
 * ```ts
 * const exp = await session.createExperiment('knn');
 * exp.addRuns({ k: [1, 3, 5], weights: ['uniform', 'distance'] }); // 6 runs
 * const summary = await exp.execute([train, evaluate], { config: { folds: 5 } });
 * console.log(summary.done, summary.failed);
 * ```
 */
export class Experiment {
  readonly runs = new Runs();
  private ids: RunIds | undefined;

  /** @internal use `session.createExperiment` or `session.loadExperiment` */
  constructor(
    private readonly store: Store,
    private readonly record: ExperimentRecord,
  ) {}

  get id(): string {
    return this.record.id;
  }
  get name(): string {
    return this.record.name;
  }
  get description(): string | null {
    return this.record.description;
  }
  /** The SQL table holding one row per run. */
  get tableName(): string {
    return this.record.tableName;
  }
  /** Column name to its role (config, param, field), original key and storage kind. */
  get columns(): ExperimentRecord['meta']['columns'] {
    return this.record.meta.columns;
  }
  get createdAt(): Date {
    return this.record.createdAt;
  }
  get updatedAt(): Date {
    return this.record.updatedAt;
  }

  /**
   * Adds the Cartesian product of the grid as runs. A combination that is
   * already in the experiment is not added twice: its existing run is
   * returned, which is what makes re-running a sweep resume it.
   */
  addRuns(grid: Grid): Run[] {
    return product(grid).map((params) => this.addRun(params));
  }

  /** Adds one run with these params (or returns the existing run with equal params). */
  addRun(params: Record<string, unknown> = {}): Run {
    const key = Run.keyOf(params);
    const existing = this.runs.findByParamsKey(key);
    if (existing) return existing;
    this.ids ??= new RunIds(this.record.id);
    const run = Run.ofGrid(params, this.ids, key);
    this.runs.addNew(run, key);
    return run;
  }

  /**
   * Executes the steps on every run that is not done yet (all runs with
   * `rerun`), writing runs to the store as they finish. A failing step fails
   * only its run unless `failFast`. `jobs: N` runs on N worker threads (steps
   * given as `steps(import.meta.url, 'train')`), `backend: 'slurm'` as a
   * Slurm job array, `backend: 'queue'` through `lockstep worker` processes.
   *
   * @example
   * ```ts
   * await exp.execute(steps(import.meta.url, 'train', 'evaluate'), { jobs: 4, retries: 1, timeoutMs: 60_000 });
   * ```
   */
  async execute(steps: Steps, options: ExecuteOptions = {}): Promise<ExecuteSummary> {
    return executeExperiment({ store: this.store, record: this.record, runs: this.runs }, steps, options);
  }

  /**
   * Executes one run inline, as MLtraq's `with experiment.run() as run`: the
   * run is stored when `fn` returns, and a throw is stored as a failure and
   * then rethrown.
   *
   * @example
   * ```ts
   * const run = await exp.run({ k: 3 }, async (run) => { run.fields.accuracy = 0.97; });
   * ```
   */
  async run(fn: Step): Promise<Run>;
  async run(params: Record<string, unknown>, fn: Step): Promise<Run>;
  async run(a: Step | Record<string, unknown>, b?: Step): Promise<Run> {
    const [params, fn] = typeof a === 'function' ? [{}, a] : [a, b];
    if (typeof fn !== 'function') throw new LockstepError('E_INPUT', 'experiment.run expects a function (run) => …');
    const run = new Run(params);
    this.runs.add(run);
    const recorder = new Recorder(this.store, this.record, { executor: 'inline' });
    recorder.startTimer();
    try {
      await executeRun(run, [fn], {}, undefined, {
        mode: 'fresh',
        names: stepNames([fn]),
        started: (r) => recorder.started(r),
      });
    } finally {
      recorder.detach(run);
      await recorder.close();
    }
    // written here, not by the recorder: a value the store refuses is the caller's error, as with persist()
    await this.writeRuns([run]);
    if (run.status === 'failed') {
      const err = new LockstepError('E_RUN', `run ${run.id} failed: ${run.error?.message}`);
      if (run.error?.stack) err.stack = run.error.stack;
      throw err;
    }
    return run;
  }

  /**
   * Writes every run that changed since it was last written, in one
   * transaction: either all of them are stored or none is.
   */
  async persist(): Promise<void> {
    await this.writeRuns(this.runs.filter((r) => r.dirty));
  }

  private writeRuns(runs: Run[]): Promise<void> {
    return writeNow(this.store, this.record, runs);
  }

  /** Removes runs from the experiment and the store. */
  async deleteRuns(ids: readonly string[]): Promise<void> {
    await this.store.deleteRuns(this.record, ids);
    this.runs.remove(new Set(ids));
  }

  /**
   * The stored metric series of a run, by key or all keys: the points of its
   * current attempt (the latest execution), or of an earlier one with
   * `{ attempt }`.
   */
  metrics(runId: string, key?: string, options: { attempt?: number } = {}): Promise<MetricPoint[]> {
    return this.store.readMetrics(this.record, runId, key, options);
  }

  /** Reloads the runs from the store, replacing those in memory. */
  async reload(): Promise<this> {
    const fresh = await this.store.requireExperiment(this.name);
    Object.assign(this.record, fresh);
    const records = await this.store.readRuns(this.record);
    this.runs.remove(new Set(this.runs.map((r) => r.id)));
    for (const rec of records) this.runs.add(Run.fromRecord(rec));
    return this;
  }
}

/** Counts what an execution did; shared by every executor. */
export { summarise } from '../exec/summary.ts';
