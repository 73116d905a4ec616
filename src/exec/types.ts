import type { Run } from '../core/run.ts';
import type { ProgressOption } from './progress.ts';
import type { SlurmOptions } from './slurm/options.ts';

/** A step reads and changes one run. It may be async. */
export type Step = (run: Run) => void | Promise<void>;

/**
 * A step named by the module that exports it, so that a worker thread, a
 * child process, a Slurm task or another machine can load it. Build one with
 * `steps(import.meta.url, 'train')`.
 */
export interface StepRef {
  /** A `file:` URL (such as `import.meta.url`) or an absolute path of a .ts, .mts, .js or .mjs module. */
  readonly module: string;
  /** The name of the exported function. */
  readonly export: string;
  /**
   * A JSON value given to the function as its second argument, wherever it
   * runs: it travels with the step (in pool messages, and stored with queued
   * runs for `lockstep worker` and Slurm), never through the environment.
   */
  readonly arg?: unknown;
}

/** What `execute` accepts: one step or a pipeline of steps, as functions or module references. */
export type Steps = Step | StepRef | readonly (Step | StepRef)[];

/** Where runs execute. */
export type Backend = 'local' | 'slurm' | 'queue';

/** Options of `experiment.execute`. */
export interface ExecuteOptions {
  /** Fixed values given to every run as `run.config`. */
  config?: Record<string, unknown>;
  /** Stop at the first failed run (after its retries); the runs not started stay pending. */
  failFast?: boolean;
  /**
   * Execute runs that completed these steps too (by default a run executes
   * unless it completed every one of the steps). A run that also completed
   * other steps keeps their fields.
   */
  rerun?: boolean;
  /**
   * Execute only the first N runs that are to do (try a large sweep on one
   * run first: `{ only: 1 }`); the others stay as they are for the next call.
   */
  only?: number;
  /** Write runs to the store as they finish (default true). */
  persist?: boolean;
  /** Runs per write transaction at most (default 5000); `flushMs` bounds how long a finished run waits. */
  batchSize?: number;
  /** Write finished runs at least this often, in milliseconds (default 50): a crash loses at most the runs finished in this window. */
  flushMs?: number;
  /**
   * Running runs (their row, the points logged so far, the fields set so
   * far, their lease) reach the store at least this often, in milliseconds
   * (default 1000).
   */
  liveMs?: number;
  /**
   * A running run whose lease is not renewed for this long (its process died)
   * is marked `interrupted` by the next reader, in milliseconds (default 30 000).
   */
  leaseMs?: number;
  /**
   * Parallel workers. 1 (default) runs inline in this thread and accepts plain
   * functions; N > 1 runs on a pool of N worker threads (or processes, see
   * `isolate`) and needs steps given as module references.
   */
  jobs?: number;
  /** Worker threads (default) or child processes for `jobs > 1`. */
  isolate?: 'threads' | 'processes';
  /** `local` (default), `slurm` (a job array) or `queue` (enqueue for `lockstep worker` processes). */
  backend?: Backend;
  /** Slurm settings for `backend: 'slurm'`: an object or the path of a YAML file. */
  slurm?: SlurmOptions | string;
  /**
   * Longest time one run may take, in milliseconds. In a pool the worker
   * running it is terminated and replaced; inline only asynchronous steps can
   * be interrupted.
   */
  timeoutMs?: number;
  /** Execute a failed (or timed-out) run again, up to this many more times (default 0). */
  retries?: number;
  /** No progress output at all. */
  quiet?: boolean;
  /** `true`/`'auto'` (default: a bar on a terminal, a plain line every 10 s otherwise), `'bar'`, `'lines'`, `false`. */
  progress?: ProgressOption;
  /** Runs per message to a worker; by default it adapts to the runs' duration. */
  runsPerTask?: number;
  /** `backend: 'queue'`: return after enqueueing instead of waiting for workers to finish. */
  wait?: boolean;
}

export interface RunFailure {
  runId: string;
  params: Record<string, unknown>;
  message: string;
  /** How many times the run was attempted. */
  attempts: number;
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
  /** Runs not started because `failFast` stopped the execution (or, for the queue, not finished yet). */
  notRun: number;
  /** Extra attempts made because of `retries`. */
  retried: number;
  failures: RunFailure[];
  durationMs: number;
  /** `backend: 'slurm'`: the job array that executed the runs, and where its logs are. */
  slurm?: { jobId: string; logs: string };
}

/** Called with each run as it finishes; the recorder writes runs in batches. */
export type OnFinished = (run: Run) => void | Promise<void>;
