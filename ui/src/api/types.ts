// The shapes of the native REST API (docs/api-contract.md), as the UI reads them.

export interface ExperimentSummary {
  id: string;
  name: string;
  description: string | null;
  runs: number;
  createdAt: string;
  updatedAt: string;
}

export type ColumnRole = 'config' | 'param' | 'field';

export interface ColumnMeta {
  name: string;
  role: ColumnRole;
  key: string;
  kind: string | null;
}

export interface ExperimentDetail extends ExperimentSummary {
  columns: ColumnMeta[];
  /** Metric keys logged in this experiment, when the server knows them. */
  metricKeys?: string[];
}

export type RunStatus = 'pending' | 'running' | 'done' | 'failed' | 'interrupted' | string;

/** One row of the runs table: fixed attributes plus one entry per requested column. */
export interface RunRow {
  run_id: string;
  status: RunStatus;
  started_at: string | null;
  ended_at: string | null;
  error: string | null;
  [column: string]: unknown;
}

export interface RunsPage {
  /** null when the request said `count=false` */
  total: number | null;
  offset: number;
  limit: number;
  runs: RunRow[];
  /** The cursor of the next page (`after=`), when the page is full and the sort pages by cursor. */
  next: string | null;
}

export interface RunDetail {
  id: string;
  status: RunStatus;
  startedAt: string | null;
  endedAt: string | null;
  error: string | null;
  errorStack: string | null;
  config: Record<string, unknown>;
  params: Record<string, unknown>;
  fields: Record<string, unknown>;
}

export interface Artifact {
  path: string;
  size?: number;
  digest?: string;
  url?: string;
  [extra: string]: unknown;
}

export interface RunResponse {
  run: RunDetail;
  metricKeys: string[];
  lock: Record<string, unknown> | null;
  artifacts?: Artifact[];
}

export interface MetricPoint {
  step: number;
  timestamp: number;
  value: number | string | null;
}

export interface MetricResponse {
  key: string;
  points: MetricPoint[];
  downsampled: boolean;
  total: number;
}

export interface SeriesResponse {
  series: { runId: string; points: MetricPoint[] }[];
}

export interface SqlResponse {
  columns: string[];
  rows: unknown[][];
  truncated: boolean;
  elapsedMs: number;
}

/** GET /api/v1/locks */
export interface LocksResponse {
  locks: {
    id: string;
    runDir: string;
    name: string | null;
    parentId: string | null;
    active: boolean;
    createdAt: string;
    experiment: string | null;
    runId: string | null;
    prevs: string[];
    lock: unknown;
  }[];
  truncated: boolean;
}
