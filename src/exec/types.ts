import type { Run } from '../core/run.ts';

/** A step reads and changes one run. It may be async. */
export type Step = (run: Run) => void | Promise<void>;

/** Options of `experiment.execute`. */
export interface ExecuteOptions {
  /** Fixed values given to every run as `run.config`. */
  config?: Record<string, unknown>;
  /** Stop at the first failed run; the runs not started stay pending. */
  failFast?: boolean;
  /** Execute runs that are already done too (by default only pending and failed runs execute). */
  rerun?: boolean;
  /** Write runs to the store as they finish (default true). */
  persist?: boolean;
  /** Runs per write transaction (default 1000). */
  batchSize?: number;
  /** Write finished runs at least this often, in milliseconds (default 1000). */
  flushMs?: number;
}

export interface RunFailure {
  runId: string;
  params: Record<string, unknown>;
  message: string;
}

/** What an execution did, run by run: never just the first exception. */
export interface ExecuteSummary {
  /** Runs in the experiment. */
  total: number;
  /** Runs executed by this call. */
  executed: number;
  done: number;
  failed: number;
  /** Runs already done before this call, left alone. */
  skipped: number;
  /** Runs not started because `failFast` stopped the execution. */
  notRun: number;
  failures: RunFailure[];
  durationMs: number;
}

/** Called with each run as it finishes; the recorder writes runs in batches. */
export type OnFinished = (run: Run) => void | Promise<void>;
