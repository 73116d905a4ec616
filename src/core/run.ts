import { randomUUID } from 'node:crypto';
import { LockstepError } from '../errors.ts';
import type { MetricPoint, RunRecord, RunStatus, RunWrite } from '../store/store.ts';
import { paramsKey } from './identity.ts';
import type { ArtifactInfo, RunServices } from './services.ts';

export type { RunStatus } from '../store/store.ts';

/** Why a run failed: the message and stack of what its step threw. */
export interface RunError {
  message: string;
  stack: string | null;
}

/**
 * One instantiation of an experiment. A run knows nothing of databases,
 * sessions or other runs; steps read `config` and `params` and write `vars`,
 * `state` and `fields`.
 *
 * @example
 * ```ts
 * function train(run: Run) {
 *   run.vars.model = fit(run.params.k);        // scratch, dropped at the end
 *   run.fields.accuracy = score(run.vars.model); // stored as a column
 *   run.log('loss', 0.31, 10);                  // a metric series point
 * }
 * ```
 */
export class Run {
  readonly id: string;
  /** Fixed values, the same for every run (given to `execute`). Stored. */
  config: Record<string, unknown> = {};
  /** This run's variable values (from the grid). Stored. */
  readonly params: Record<string, unknown>;
  /** Scratch space for steps: dropped when the run ends, never sent to workers, never stored. */
  vars: Record<string, unknown> = {};
  /** Kept in memory after execution and returned from workers; never stored. */
  state: Record<string, unknown> = {};
  /** The run's results. Stored: scalars as columns, everything else encoded. */
  fields: Record<string, unknown> = {};
  status: RunStatus = 'pending';
  error: RunError | null = null;
  startedAt: Date | null = null;
  endedAt: Date | null = null;

  /** @internal artifacts and datasets, given by the session whose experiment holds the run */
  services: RunServices | null = null;
  /** @internal metric points logged since the last write */
  pendingMetrics: MetricPoint[] = [];
  /** @internal the run has rows in the store */
  persisted = false;
  /** @internal the stored row is out of date */
  dirty = true;
  /** @internal the stored metric points belong to an earlier execution */
  staleMetrics = false;
  /** Created on the first `log`: most steps of big sweeps never log, and a Map per run costs memory. */
  private nextStep: Map<string, number> | null = null;
  private cachedKey: string | undefined;

  constructor(params: Record<string, unknown> = {}, id: string = randomUUID()) {
    if (params === null || typeof params !== 'object' || Array.isArray(params)) {
      throw new LockstepError('E_INPUT', 'run params must be a plain object such as { lr: 0.1 }');
    }
    this.id = id;
    this.params = params;
  }

  /** The run's identity across executions: its params in canonical form. */
  get paramsKey(): string {
    this.cachedKey ??= paramsKey(this.params);
    return this.cachedKey;
  }

  /**
   * Appends a point to the metric series `key`. Without `step`, the step is
   * one more than the last step logged for that key (starting at 0).
   */
  log(key: string, value: number, step?: number): void {
    if (typeof key !== 'string' || key === '')
      throw new LockstepError('E_INPUT', 'run.log: the metric key must be a non-empty string');
    if (typeof value !== 'number') {
      throw new LockstepError('E_INPUT', `run.log("${key}"): the value must be a number, got ${typeof value}`);
    }
    let s = step;
    this.nextStep ??= new Map();
    if (s === undefined) s = this.nextStep.get(key) ?? 0;
    else if (!Number.isInteger(s) || s < 0) {
      throw new LockstepError('E_INPUT', `run.log("${key}"): step must be a non-negative integer, got ${s}`);
    }
    this.nextStep.set(key, s + 1);
    this.pendingMetrics.push({ key, step: s, timestamp: Date.now(), value });
    this.dirty = true;
  }

  /**
   * Stores a file, a directory or bytes as an artifact of this run, once per
   * content in the session's blob store. `name` is a relative path; `..`,
   * absolute names and symlinks out of a directory are refused.
   */
  async logArtifact(name: string, source: string | Uint8Array): Promise<ArtifactInfo> {
    return this.need('logArtifact').logArtifact(this, name, source);
  }

  /** Records that this run uses a registered dataset (the latest version by default) and returns its local path. */
  async useDataset(name: string, version?: string): Promise<string> {
    return this.need('useDataset').useDataset(this, name, version);
  }

  private need(what: string): RunServices {
    if (this.services) return this.services;
    throw new LockstepError(
      'E_RUN',
      `run.${what} needs the run to belong to an experiment of a session in this process (a run built by hand or executed in a worker has no artifact store)`,
    );
  }

  /** Resets the run for a new execution. */
  begin(config: Record<string, unknown>): void {
    if (this.persisted) this.staleMetrics = true;
    this.config = config;
    // a run that never executed still has its empty objects: reuse them (sweeps allocate per run)
    if (this.status !== 'pending' || !isEmpty(this.fields) || !isEmpty(this.state) || !isEmpty(this.vars)) {
      this.vars = {};
      this.fields = {};
      this.state = {};
    }
    this.error = null;
    if (this.pendingMetrics.length) this.pendingMetrics = [];
    this.nextStep = null;
    this.status = 'running';
    this.startedAt = new Date();
    this.endedAt = null;
    this.dirty = true;
  }

  /** Ends an execution: `vars` are dropped here. */
  finish(error?: unknown): void {
    this.endedAt = new Date();
    if (!isEmpty(this.vars)) this.vars = {};
    if (error === undefined) {
      this.status = 'done';
    } else {
      this.status = 'failed';
      this.error =
        error instanceof Error
          ? { message: error.message, stack: error.stack ?? null }
          : { message: String(error), stack: null };
    }
    this.dirty = true;
  }

  /** @internal the run as the store writes it */
  toWrite(): RunWrite {
    return {
      id: this.id,
      status: this.status,
      startedAt: this.startedAt,
      endedAt: this.endedAt,
      error: this.error?.message ?? null,
      errorStack: this.error?.stack ?? null,
      paramsKey: this.paramsKey,
      config: this.config,
      params: this.params,
      fields: this.fields,
      metrics: this.pendingMetrics,
      replaceMetrics: this.staleMetrics,
    };
  }

  /** @internal after a successful write */
  markWritten(): void {
    this.persisted = true;
    this.dirty = false;
    this.staleMetrics = false;
    if (this.pendingMetrics.length) this.pendingMetrics = [];
  }

  /** @internal a run read back from the store */
  static fromRecord(rec: RunRecord): Run {
    const run = new Run(rec.params, rec.id);
    run.config = rec.config;
    run.fields = rec.fields;
    run.status = rec.status;
    run.startedAt = rec.startedAt;
    run.endedAt = rec.endedAt;
    run.error = rec.error === null ? null : { message: rec.error, stack: rec.errorStack };
    run.cachedKey = rec.paramsKey;
    run.persisted = true;
    run.dirty = false;
    return run;
  }
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}
