import { randomUUID } from 'node:crypto';
import { LockstepError } from '../errors.ts';
import type { MetricPoint, RunRecord, RunStatus, RunWrite } from '../store/store.ts';
import { paramsKey, type RunIds } from './identity.ts';
import type { ArtifactInfo, RunServices } from './services.ts';

export type { RunStatus } from '../store/store.ts';

/**
 * How an execution treats what the run already holds: `fresh` starts over
 * (fields, state and metric series reset); `continue` runs new steps on a
 * run that is done, with its stored fields visible (MLtraq's workflow: load
 * an experiment, execute one more step).
 */
export type ExecutionMode = 'fresh' | 'continue';

/** Who writes a run: recorded with its row. */
export interface WriterStamp {
  host: string;
  pid: number;
  executor: string;
}

/** Where a running run's logged points go while it runs (the executor's recorder). */
export interface LiveSink {
  /** Called from `log` every few points (fewer the faster it logs), so the sink can flush on time or size. */
  poke(run: Run, now: number): void;
}

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
  config: Record<string, unknown> = NO_CONFIG;
  /** This run's variable values (from the grid). Stored. */
  readonly params: Record<string, unknown>;
  /** The run's results. Stored: scalars as columns, everything else encoded. */
  fields: Record<string, unknown>;
  status: RunStatus = 'pending';
  error: RunError | null = null;
  // Sweeps hold 10^5 runs: the scratch objects are made when first used, and times kept as numbers.
  private scratch: Record<string, unknown> | null = null;
  private kept: Record<string, unknown> | null = null;
  private startedMs: number | null = null;
  private endedMs: number | null = null;
  /** Executions begun, this one included (0: never executed). */
  attempt = 0;
  /** The steps completed, by name, in the order they ran; `null` when unknown (stored by an older lockstep). */
  steps: readonly string[] | null = null;

  /** @internal artifacts and datasets, given by the session whose experiment holds the run */
  services: RunServices | null = null;
  /** @internal metric points logged since the last write */
  pendingMetrics: MetricPoint[] = NO_POINTS;
  /** @internal the run has rows in the store */
  persisted = false;
  /** @internal the stored row is out of date */
  dirty = true;
  /** @internal the next write is the first of an execution from scratch: earlier points are archived */
  staleMetrics = false;
  /** @internal the executor's recorder while the run executes */
  live: LiveSink | null = null;
  /** @internal how this execution treats stored results, and the steps it runs */
  mode: ExecutionMode = 'fresh';
  private pipeline: readonly string[] = [];
  /** A continuation archives the earlier points of each key it logs, once. */
  private archivedKeys: Set<string> | null = null;
  /** Scratch space for steps: dropped when the run ends, never sent to workers, never stored. */
  get vars(): Record<string, unknown> {
    this.scratch ??= {};
    return this.scratch;
  }
  set vars(v: Record<string, unknown>) {
    this.scratch = v;
  }

  /** Kept in memory after execution and returned from workers; never stored. */
  get state(): Record<string, unknown> {
    this.kept ??= {};
    return this.kept;
  }
  set state(v: Record<string, unknown>) {
    this.kept = v;
  }

  get startedAt(): Date | null {
    return this.startedMs === null ? null : new Date(this.startedMs);
  }
  set startedAt(d: Date | null) {
    this.startedMs = d === null ? null : d.getTime();
  }

  get endedAt(): Date | null {
    return this.endedMs === null ? null : new Date(this.endedMs);
  }
  set endedAt(d: Date | null) {
    this.endedMs = d === null ? null : d.getTime();
  }

  /** Created on the first `log`: most steps of big sweeps never log, and a Map per run costs memory. */
  private nextStep: Map<string, number> | null = null;
  private cachedKey: string | undefined;
  private logsUntilPoke = 1;
  private pokeEvery = 1;
  private lastPoke = 0;

  constructor(params: Record<string, unknown> = {}, id: string = randomUUID(), fields: Record<string, unknown> = {}) {
    checkParams(params);
    this.id = id;
    this.fields = fields;
    this.params = params;
  }

  /**
   * A run of a grid: its id derives from the experiment and its params, so
   * every process adding these params to this experiment names the same run.
   */
  static ofGrid(params: Record<string, unknown>, ids: RunIds, key = Run.keyOf(params)): Run {
    const run = new Run(params, ids.of(key));
    run.cachedKey = key;
    return run;
  }

  /** The canonical form of params (checked to be a plain object). */
  static keyOf(params: Record<string, unknown>): string {
    checkParams(params);
    return paramsKey(params);
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
    else if (!Number.isSafeInteger(s) || s < 0) {
      throw new LockstepError(
        'E_INPUT',
        `run.log("${key}"): step must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, got ${s}`,
      );
    }
    this.nextStep.set(key, s + 1);
    if (this.pendingMetrics === NO_POINTS) this.pendingMetrics = [];
    this.pendingMetrics.push({ key, step: s, timestamp: Date.now(), value });
    this.dirty = true;
    if (this.live !== null && --this.logsUntilPoke <= 0) this.pokeLive();
  }

  /**
   * Tells the recorder how much is buffered without reading the clock on
   * every point: a tight loop pokes every few thousand points, a step that
   * logs once a second on each one.
   */
  private pokeLive(): void {
    const now = Date.now();
    const gap = now - this.lastPoke;
    if (gap < 2) this.pokeEvery = Math.min(this.pokeEvery * 2, 16_384);
    else if (gap > 20) this.pokeEvery = Math.max(1, this.pokeEvery >> 1);
    this.lastPoke = now;
    this.logsUntilPoke = this.pokeEvery;
    this.live?.poke(this, now);
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

  /**
   * Starts an execution of `steps` (their names): from scratch, or as a
   * continuation that keeps the stored fields. Either way it is a new attempt.
   */
  begin(config: Record<string, unknown>, mode: ExecutionMode = 'fresh', steps: readonly string[] = []): void {
    this.config = config;
    this.mode = mode;
    this.pipeline = steps;
    this.attempt++;
    if (mode === 'continue') {
      this.scratch = null;
      this.archivedKeys = new Set();
    } else {
      if (this.persisted) this.staleMetrics = true;
      // a run that never executed still has its empty fields: reuse them (sweeps allocate per run)
      if (this.status !== 'pending' || !isEmpty(this.fields)) this.fields = {};
      this.scratch = null;
      this.kept = null;
      this.archivedKeys = null;
      this.steps = NO_STEPS;
    }
    this.error = null;
    this.pendingMetrics = NO_POINTS;
    this.nextStep = null;
    this.status = 'running';
    this.startedMs = Date.now();
    this.endedMs = null;
    this.dirty = true;
  }

  /** Ends an execution: `vars` are dropped here, and on success the steps join those completed. */
  finish(error?: unknown): void {
    this.endedMs = Date.now();
    this.scratch = null;
    if (error === undefined) {
      this.status = 'done';
      this.steps = this.mode === 'continue' && this.steps ? unionSteps(this.steps, this.pipeline) : this.pipeline;
    } else {
      this.status = 'failed';
      this.error =
        error instanceof Error
          ? { message: error.message, stack: error.stack ?? null }
          : { message: String(error), stack: null };
    }
    this.dirty = true;
  }

  /**
   * @internal the run as the store writes it now. Its buffered metric points
   * leave the run with the write: give the write back with `restoreWrite` if
   * it fails.
   */
  takeWrite(who?: WriterStamp, leaseUntil: number | null = null): RunWrite {
    const metrics = this.pendingMetrics;
    this.pendingMetrics = NO_POINTS;
    let archiveKeys: string[] | undefined;
    if (this.archivedKeys && metrics.length) {
      for (const p of metrics) {
        if (!this.archivedKeys.has(p.key)) {
          this.archivedKeys.add(p.key);
          archiveKeys ??= [];
          archiveKeys.push(p.key);
        }
      }
    }
    const replaceMetrics = this.staleMetrics;
    this.staleMetrics = false;
    // one object literal with every property: sweeps write 10^5 of these, and one shape keeps that cheap
    return {
      id: this.id,
      status: this.status,
      startedAt: this.startedMs,
      endedAt: this.endedMs,
      error: this.error?.message ?? null,
      errorStack: this.error?.stack ?? null,
      paramsKey: this.paramsKey,
      config: this.config,
      params: this.params,
      fields: this.fields,
      attempt: this.attempt,
      steps: this.steps,
      host: who?.host ?? null,
      pid: who?.pid ?? null,
      executor: who?.executor ?? null,
      leaseUntil,
      metrics,
      replaceMetrics,
      archiveKeys,
      pointsOnly: false,
    };
  }

  /** @internal a write that did not happen: its points and duties come back to the run */
  restoreWrite(w: RunWrite): void {
    if (w.metrics.length) this.pendingMetrics = (w.metrics as MetricPoint[]).concat(this.pendingMetrics);
    if (w.replaceMetrics) this.staleMetrics = true;
    for (const k of w.archiveKeys ?? []) this.archivedKeys?.delete(k);
  }

  /** @internal after a successful write of the run's final state */
  markWritten(): void {
    this.persisted = true;
    this.dirty = false;
  }

  /** @internal a run read back from the store */
  static fromRecord(rec: RunRecord): Run {
    const run = new Run(rec.params, rec.id, rec.fields);
    run.config = rec.config;
    run.status = rec.status;
    run.startedAt = rec.startedAt;
    run.endedAt = rec.endedAt;
    run.error = rec.error === null ? null : { message: rec.error, stack: rec.errorStack };
    run.attempt = rec.attempt ?? 0;
    run.steps = rec.steps ?? null;
    run.cachedKey = rec.paramsKey;
    run.persisted = true;
    run.dirty = false;
    return run;
  }
}

const NO_STEPS: readonly string[] = Object.freeze([]);
/** Shared by every run until it logs: most runs of big sweeps never do. Never pushed to. */
const NO_POINTS = Object.freeze([]) as unknown as MetricPoint[];
/** A run's config until `execute` gives it one. */
const NO_CONFIG: Record<string, unknown> = Object.freeze({});

function checkParams(params: unknown): void {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw new LockstepError('E_INPUT', 'run params must be a plain object such as { lr: 0.1 }');
  }
}

/** The completed steps after a continuation ran `more`. */
function unionSteps(done: readonly string[], more: readonly string[]): readonly string[] {
  const out = [...done];
  for (const s of more) if (!out.includes(s)) out.push(s);
  return out;
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}
