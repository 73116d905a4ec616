import type { Run } from '../core/run.ts';
import type { Runs } from '../core/runs.ts';
import { isLockstepError, LockstepError } from '../errors.ts';
import type { ExperimentRecord, Store } from '../store/store.ts';
import { executeInline } from './inline.ts';
import { executionMode } from './plan.ts';
import { Progress } from './progress.ts';
import { Recorder } from './recorder.ts';
import { assertSendable } from './sendable.ts';
import { Sharing } from './share.ts';
import { requireRefs, resolveSteps, stepList, stepNames } from './steps.ts';
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
  only: number | undefined;
  liveMs: number;
  leaseMs: number;
}

function positiveMs(name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v === 'number' && v > 0 && Number.isFinite(v)) return v;
  throw new LockstepError('E_INPUT', `execute: ${name} must be a positive number of milliseconds, got ${String(v)}`);
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
  const only = options.only;
  if (only !== undefined && !(Number.isInteger(only) && only >= 1)) {
    throw new LockstepError('E_INPUT', `execute: only must be a whole number of runs >= 1, got ${String(only)}`);
  }
  const envLease = process.env.LOCKSTEP_LEASE_MS ? Number(process.env.LOCKSTEP_LEASE_MS) : undefined;
  const liveMs = positiveMs('liveMs', options.liveMs, 1000);
  const leaseMs = positiveMs('leaseMs', options.leaseMs ?? envLease, 30_000);
  if (leaseMs < 2 * liveMs) {
    throw new LockstepError(
      'E_INPUT',
      `execute: leaseMs (${leaseMs}) must be at least twice liveMs (${liveMs}): the lease is renewed at each live write`,
    );
  }
  return { config, jobs, retries, timeoutMs, failFast: options.failFast ?? false, only, liveMs, leaseMs };
}

/**
 * Decides for each run whether this execution skips it, continues it or runs
 * it from scratch (see {@link executionMode}); `only` keeps the first N.
 */
export function planExecution(
  runs: Iterable<Run>,
  names: readonly string[],
  rerun: boolean,
  only: number | undefined,
): { todo: Run[]; continuing: Set<Run> } {
  const todo: Run[] = [];
  const continuing = new Set<Run>();
  for (const run of runs) {
    if (only !== undefined && todo.length >= only) break;
    // executing in another process right now (its lease holds): left to it
    if (run.status === 'running') continue;
    const mode = executionMode(run, names, rerun);
    if (mode === 'skip') continue;
    todo.push(run);
    if (mode === 'continue') continuing.add(run);
  }
  return { todo, continuing };
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
  const names = stepNames(list);
  if (list.length === 0) {
    // MLtraq's way to look at the runs' inputs before the real pipeline: nothing executes, nothing is stored
    for (const run of ctx.runs) run.config = o.config;
    return summarise(ctx.runs.length, 0, [], performance.now() - started);
  }
  await syncWithStore(ctx);
  const { todo, continuing } = planExecution(ctx.runs, names, options.rerun === true, o.only);
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
      : new Recorder(ctx.store, ctx.record, {
          batchSize: options.batchSize ?? 5000,
          flushMs: options.flushMs ?? 50,
          liveMs: o.liveMs,
          leaseMs: o.leaseMs,
          executor: pooled ? isolate : 'inline',
        });
  const progress = new Progress(todo.length, { quiet: options.quiet, progress: options.progress });
  const attempts = new Map<string, number>();
  const finished: Run[] = [];
  const onFinished = (run: Run) => {
    finished.push(run);
    return recorder?.add(run);
  };
  recorder?.startTimer();
  const sharing =
    recorder && todo.length
      ? await startSharing(ctx, o, names, options.rerun === true, () => recorder.shareSoon())
      : null;
  let failure: unknown;
  try {
    const order = sharing ? sharing.order(todo) : todo;
    const skip = sharing ? (run: Run) => sharing.skip(run) : undefined;
    if (refs) {
      // Nothing to do starts no pool; otherwise no more workers than runs (each costs a thread and loading the steps).
      if (todo.length > 0) {
        const { executePool } = await import('./pool/pool.ts');
        await executePool(
          order,
          {
            ...o,
            jobs: Math.min(o.jobs, todo.length),
            isolate,
            steps: refs,
            runsPerTask: options.runsPerTask,
            progress,
            attempts,
            names,
            continuing,
            live: recorder,
            ...(skip ? { skip } : {}),
          },
          onFinished,
        );
      }
    } else {
      const started = recorder ? (run: Run) => recorder.started(run) : undefined;
      await executeInline(
        order,
        fns ?? [],
        o.config,
        { ...o, progress, attempts, names, continuing, ...(started ? { started } : {}), ...(skip ? { skip } : {}) },
        onFinished,
      );
    }
    progress.leave(sharing?.leftToOthers ?? 0);
  } catch (e) {
    failure = e;
  } finally {
    progress.stop();
    await sharing?.stop();
  }
  // Whatever finished is written, even when the execution stopped on an error.
  try {
    await recorder?.close();
  } catch (e) {
    failure ??= e;
  }
  if (failure !== undefined) throw failure;
  // runs another process executed meanwhile count as skipped
  const elsewhere = sharing?.leftToOthers ?? 0;
  return summarise(ctx.runs.length, todo.length - elsewhere, finished, performance.now() - started, attempts);
}

/** Sharing with other processes executing the experiment, when the store can tell (not over HTTP). */
async function startSharing(
  ctx: ExperimentContext,
  o: CheckedOptions,
  names: readonly string[],
  rerun: boolean,
  onShared: () => void,
): Promise<Sharing | null> {
  try {
    return await Sharing.start(ctx.store, ctx.record, {
      leaseMs: o.leaseMs,
      everyMs: 250,
      names,
      rerun,
      onShared,
    });
  } catch (e) {
    if (isLockstepError(e)) return null;
    throw e;
  }
}

/**
 * Before runs are planned: runs whose process died are marked interrupted,
 * and stored runs the store knows more about than this process (executed
 * elsewhere since they were loaded) take the store's attempt count and
 * status, so attempts never repeat and a run executing elsewhere is left to it.
 */
async function syncWithStore(ctx: ExperimentContext): Promise<void> {
  const persisted = ctx.runs.filter((r) => r.persisted);
  if (persisted.length === 0) return;
  await ctx.store.reapInterrupted(ctx.record);
  const states = await ctx.store.runStates(ctx.record);
  for (const run of persisted) {
    const s = states.get(run.id);
    if (!s) continue;
    if (s.attempt > run.attempt) run.attempt = s.attempt;
    if (s.status === 'running' || s.status === 'interrupted') {
      if (run.status !== 'running') run.status = s.status;
    }
  }
}
