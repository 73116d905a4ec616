import type { Run } from '../core/run.ts';
import type { Runs } from '../core/runs.ts';
import { LockstepError } from '../errors.ts';
import type { ExperimentRecord, Store } from '../store/store.ts';
import { executeInline } from './inline.ts';
import type { PoolOptions } from './pool/pool.ts';
import { Progress } from './progress.ts';
import { Recorder } from './recorder.ts';
import { assertSendable } from './sendable.ts';
import { requireRefs, resolveSteps, stepList } from './steps.ts';
import { summarise } from './summary.ts';
import type { ExecuteOptions, ExecuteSummary, Steps } from './types.ts';

/** What an executor needs of an experiment. */
export interface ExperimentContext {
  store: Store;
  record: ExperimentRecord;
  runs: Runs;
}

/** The options of `execute`, checked and with their defaults. */
export interface CheckedOptions {
  config: Record<string, unknown>;
  jobs: number;
  retries: number;
  timeoutMs: number | undefined;
  failFast: boolean;
}

export function checkOptions(options: ExecuteOptions): CheckedOptions {
  const config = options.config ?? {};
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new LockstepError('E_INPUT', 'execute: config must be a plain object such as { folds: 5 }');
  }
  const jobs = options.jobs ?? 1;
  if (!Number.isInteger(jobs) || jobs < 1) {
    throw new LockstepError('E_INPUT', `execute: jobs must be a whole number of workers >= 1, got ${String(jobs)}`);
  }
  const retries = options.retries ?? 0;
  if (!Number.isInteger(retries) || retries < 0) {
    throw new LockstepError('E_INPUT', `execute: retries must be a whole number >= 0, got ${String(retries)}`);
  }
  const timeoutMs = options.timeoutMs;
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs > 0 && Number.isFinite(timeoutMs))) {
    throw new LockstepError(
      'E_INPUT',
      `execute: timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}`,
    );
  }
  if (options.backend !== undefined && !['local', 'slurm', 'queue'].includes(options.backend)) {
    throw new LockstepError(
      'E_INPUT',
      `execute: backend must be "local", "slurm" or "queue", got "${String(options.backend)}"`,
    );
  }
  if (options.isolate !== undefined && !['threads', 'processes'].includes(options.isolate)) {
    throw new LockstepError(
      'E_INPUT',
      `execute: isolate must be "threads" or "processes", got "${String(options.isolate)}"`,
    );
  }
  return { config, jobs, retries, timeoutMs, failFast: options.failFast ?? false };
}

/**
 * `experiment.execute`: picks the executor (inline, worker pool, Slurm, the
 * PostgreSQL queue), runs the runs that are not done yet and writes them as
 * they finish.
 */
export async function executeExperiment(
  ctx: ExperimentContext,
  input: Steps,
  options: ExecuteOptions = {},
): Promise<ExecuteSummary> {
  const started = performance.now();
  const list = stepList(input);
  const o = checkOptions(options);
  if (options.backend === 'slurm' || options.backend === 'queue') {
    const { executeRemote } = await import('./queue/remote.ts');
    return executeRemote(ctx, list, o, options);
  }
  const todo = ctx.runs.filter((r) => options.rerun || r.status !== 'done');
  const isolate = options.isolate ?? 'threads';
  const pooled = o.jobs > 1 || options.isolate !== undefined;
  const where = isolate === 'processes' ? 'worker processes' : 'worker threads';
  // Everything that can be checked is checked before the first run starts.
  const refs = pooled ? requireRefs(list, where) : null;
  if (pooled) assertSendable(o.config, todo, where);
  const fns = pooled ? null : await resolveSteps(list);

  const recorder =
    options.persist === false
      ? null
      : new Recorder(ctx.store, ctx.record, options.batchSize ?? 5000, options.flushMs ?? 50);
  const progress = new Progress(todo.length, { quiet: options.quiet, progress: options.progress });
  const attempts = new Map<string, number>();
  const finished: Run[] = [];
  const onFinished = (run: Run) => {
    finished.push(run);
    return recorder?.add(run);
  };
  let failure: unknown;
  try {
    if (refs) {
      // Nothing to do starts no pool; otherwise no more workers than runs (each costs a thread and loading the steps).
      if (todo.length > 0)
        await runPool(
          todo,
          {
            ...o,
            jobs: Math.min(o.jobs, todo.length),
            isolate,
            steps: refs,
            runsPerTask: options.runsPerTask,
            progress,
            attempts,
          },
          onFinished,
          recorder,
        );
    } else {
      await executeInline(todo, fns ?? [], o.config, { ...o, progress, attempts }, onFinished);
    }
  } catch (e) {
    failure = e;
  } finally {
    progress.stop();
  }
  // Whatever finished is written, even when the execution stopped on an error.
  try {
    await recorder?.close();
  } catch (e) {
    failure ??= e;
  }
  if (failure !== undefined) throw failure;
  return summarise(ctx.runs.length, todo.length, finished, performance.now() - started, attempts);
}

async function runPool(
  todo: readonly Run[],
  options: PoolOptions,
  onFinished: (run: Run) => Promise<void> | undefined,
  recorder: Recorder | null,
): Promise<void> {
  // While runs execute in workers this thread is idle: flush on a timer too.
  recorder?.startTimer();
  const { executePool } = await import('./pool/pool.ts');
  await executePool(todo, options, onFinished);
}
