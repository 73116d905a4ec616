import type { RunError } from '../../core/run.ts';
import type { MetricPoint } from '../../store/store.ts';
import type { LiveUpdate } from '../recorder.ts';
import type { StepRef } from '../types.ts';

/** Given to every worker when the pool starts: the steps to load and the config every run shares. */
export interface WorkerData {
  steps: StepRef[];
  config: Record<string, unknown>;
  /** How often the worker reports the run it executes (its points and fields so far), in ms. */
  liveMs: number;
  /** Threads report on this BroadcastChannel; child processes through their IPC channel. */
  liveChannel: string;
}

/**
 * One run to execute: its attempt number (echoed in live reports, so a late
 * report of an earlier attempt never joins a newer one), and for a
 * continuation the fields it already holds.
 */
export type TaskRun = [
  id: string,
  params: Record<string, unknown>,
  attempt: number,
  fields: Record<string, unknown> | null,
];

/** One message to a worker: load the steps (a check before any run starts) or execute a batch of runs. */
export type PoolTask = { kind: 'check' } | { kind: 'runs'; runs: TaskRun[] };

/** A worker's live report, tagged so the parent tells it from the pool's own messages. */
export interface LiveMessage {
  lockstepLive: LiveUpdate;
}

/** What comes back for each run: `vars` never travel. */
export interface RunResult {
  id: string;
  status: 'done' | 'failed';
  error: RunError | null;
  startedAt: number;
  endedAt: number;
  fields: Record<string, unknown>;
  state: Record<string, unknown>;
  /** The points not reported live yet. */
  metrics: MetricPoint[];
  /** Live reports sent for this run: the parent finishes it once it has them all (they travel apart). */
  live: number;
}

/** A batch's answer: its results serialised in the worker, and how long the worker spent on it. */
export interface BatchResult {
  results: Uint8Array;
  busyMs: number;
}
