import type { RunError } from '../../core/run.ts';
import type { MetricPoint } from '../../store/store.ts';
import type { StepRef } from '../types.ts';

/** Given to every worker when the pool starts: the steps to load and the config every run shares. */
export interface WorkerData {
  steps: StepRef[];
  config: Record<string, unknown>;
}

/** One message to a worker: load the steps (a check before any run starts) or execute a batch of runs. */
export type PoolTask = { kind: 'check' } | { kind: 'runs'; runs: [id: string, params: Record<string, unknown>][] };

/** What comes back for each run: `vars` never travel. */
export interface RunResult {
  id: string;
  status: 'done' | 'failed';
  error: RunError | null;
  startedAt: number;
  endedAt: number;
  fields: Record<string, unknown>;
  state: Record<string, unknown>;
  metrics: MetricPoint[];
}

/** A batch's answer: its results serialised in the worker, and how long the worker spent on it. */
export interface BatchResult {
  results: Uint8Array;
  busyMs: number;
}
