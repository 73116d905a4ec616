import type { Kind } from './kinds.ts';

export type Role = 'config' | 'param' | 'field';

/**
 * `pending`: never executed; `running`: executing now (its lease is renewed
 * while it runs); `done`/`failed`: the last execution's outcome;
 * `interrupted`: its process stopped renewing the lease (killed, crashed,
 * lost node), so the next `execute` runs it again.
 */
export type RunStatus = 'pending' | 'running' | 'done' | 'failed' | 'interrupted';

export const RUN_STATUSES: readonly RunStatus[] = ['pending', 'running', 'done', 'failed', 'interrupted'];

export interface ColumnInfo {
  role: Role;
  key: string;
  /** `null` while the column has held nothing but nulls. */
  kind: Kind | null;
  /**
   * A param or config column that also holds the field of the same name
   * (MLtraq's `run.fields.A = run.params.A`): the value is stored once and
   * loads back into both.
   */
  field?: boolean;
}

export interface ExperimentMeta {
  tool: string;
  codec: number;
  /** The experiment table's layout: 2 has the live-run columns (`run_attempt`, `run_lease_until`, …). */
  layout?: number;
  /** Column name to what it holds, in creation order. */
  columns: Record<string, ColumnInfo>;
}

export interface ExperimentRecord {
  id: string;
  name: string;
  tableName: string;
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
  fields: Record<string, unknown>;
  meta: ExperimentMeta;
}

export interface MetricPoint {
  key: string;
  step: number;
  timestamp: number;
  value: number;
}

export interface RunRecord {
  id: string;
  status: RunStatus;
  startedAt: Date | null;
  endedAt: Date | null;
  error: string | null;
  errorStack: string | null;
  paramsKey: string;
  config: Record<string, unknown>;
  params: Record<string, unknown>;
  fields: Record<string, unknown>;
  /** Executions begun so far (0: never executed; 1 when not given). The `metrics` table holds the current one's points. */
  attempt?: number;
  /** The steps the run has completed, by name; `null` when unknown (runs stored before live runs existed). */
  steps?: readonly string[] | null;
  /** Who runs (or last ran) it. */
  host?: string | null;
  pid?: number | null;
  /** `inline`, `threads`, `processes`, `queue` or `slurm`. */
  executor?: string | null;
  /** While `running`: the time (epoch ms) after which, without a heartbeat, the run counts as interrupted. */
  leaseUntil?: number | null;
}

/** A run on its way to the database, with the metric points it logged since the last write. */
export interface RunWrite extends Omit<RunRecord, 'startedAt' | 'endedAt'> {
  /** A date, or its time in milliseconds (what a run keeps: 10^5 runs need no Date objects). */
  startedAt: Date | number | null;
  endedAt: Date | number | null;
  metrics: readonly MetricPoint[];
  /** The first write of an execution from scratch: the run's earlier points move to `metrics_archive`. */
  replaceMetrics: boolean;
  /** A continuation (new steps on a stored run): earlier points of these keys move to `metrics_archive`. */
  archiveKeys?: readonly string[];
  /** Only the metric points: the row is written elsewhere (a late message from a worker). */
  pointsOnly?: boolean;
}
