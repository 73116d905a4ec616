import { resolve } from 'node:path';
import type { Run } from '../../core/run.ts';
import { LockstepError } from '../../errors.ts';
import type { Store } from '../../store/store.ts';
import { type CheckedOptions, type ExperimentContext, planExecution } from '../dispatch.ts';
import { Progress } from '../progress.ts';
import { slurmSettings } from '../slurm/options.ts';
import { cancelJob, jobStates, submitArray } from '../slurm/submit.ts';
import { requireRefs, stepNames } from '../steps.ts';
import { summarise } from '../summary.ts';
import type { ExecuteOptions, ExecuteSummary, Step, StepRef } from '../types.ts';
import { attemptsOf, counts, enqueue, failAbandoned } from './queue.ts';

/**
 * `backend: 'queue'` and `backend: 'slurm'`: the runs go to the store's queue,
 * where `lockstep worker` processes (started by hand on any machine, or as the
 * tasks of a Slurm job array submitted here) claim and execute them. Waits
 * for the queue to drain unless `wait: false`, then reads the results back.
 */
export async function executeRemote(
  ctx: ExperimentContext,
  list: (Step | StepRef)[],
  o: CheckedOptions,
  options: ExecuteOptions,
): Promise<ExecuteSummary> {
  const started = performance.now();
  const slurm = options.backend === 'slurm';
  const refs = requireRefs(list, slurm ? 'Slurm tasks' : 'lockstep worker processes');
  const settings = slurm ? slurmSettings(options.slurm) : null;
  const db = settings ? (settings.db ?? storeUrl(ctx.store)) : null;
  const { todo } = planExecution(ctx.runs, stepNames(list), options.rerun === true, o.only);
  await enqueue(ctx.store, ctx.record, todo, {
    steps: refs,
    config: o.config,
    retries: o.retries,
    rerun: options.rerun === true,
    liveMs: o.liveMs,
    leaseMs: o.leaseMs,
    ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
    ...(options.isolate ? { isolate: options.isolate } : {}),
  });
  const job = settings && db && todo.length ? await submitArray(settings, ctx.record.name, db) : null;
  const wait = settings ? settings.wait && options.wait !== false : options.wait !== false;
  if (!wait || todo.length === 0) return { ...summarise(ctx.runs.length, todo.length, [], 0), ...jobInfo(job) };

  const progress = new Progress(todo.length, { quiet: options.quiet, progress: options.progress });
  const pollMs = (settings?.poll ?? 1) * 1000;
  let jobGoneSince: number | null = null;
  try {
    for (;;) {
      await failAbandoned(ctx.store, ctx.record);
      const c = await counts(ctx.store.driver, ctx.record.id);
      const states = job ? await jobStates(job.jobId) : {};
      const note = job ? `job ${job.jobId}: ${describeStates(states)}` : `${c.claimed} running`;
      progress.set(c.done + c.failed, c.failed, todo.length, note);
      if (c.pending + c.claimed === 0) break;
      if (job) {
        // The array ended (or was cancelled) with runs left: nobody will take them; give up after a grace period.
        if (Object.keys(states).length === 0) {
          jobGoneSince ??= Date.now();
          if (Date.now() - jobGoneSince > Math.max(5000, 3 * pollMs)) break;
        } else jobGoneSince = null;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } catch (e) {
    if (job) await cancelJob(job.jobId);
    throw e;
  } finally {
    progress.stop();
  }
  const finished = await reloadRuns(ctx, todo);
  const attempts = await attemptsOf(ctx.store.driver, ctx.record.id);
  return {
    ...summarise(ctx.runs.length, todo.length, finished, performance.now() - started, attempts),
    ...jobInfo(job),
  };
}

/** `2 RUNNING, 1 PENDING` from squeue's task states; `ended` once squeue forgot the job. */
function describeStates(states: Record<string, number>): string {
  const parts = Object.entries(states).map(([st, n]) => `${n} ${st}`);
  return parts.length ? parts.join(', ') : 'ended';
}

function jobInfo(job: { jobId: string; logs: string } | null): Partial<ExecuteSummary> {
  return job ? { slurm: { jobId: job.jobId, logs: job.logs } } : {};
}

/** Brings the in-memory runs up to date with what the workers stored; returns those that finished. */
async function reloadRuns(ctx: ExperimentContext, todo: readonly Run[]): Promise<Run[]> {
  const fresh = await ctx.store.requireExperiment(ctx.record.name);
  Object.assign(ctx.record, fresh);
  const byId = new Map((await ctx.store.readRuns(ctx.record, { runIds: todo.map((r) => r.id) })).map((r) => [r.id, r]));
  const finished: Run[] = [];
  for (const run of todo) {
    const rec = byId.get(run.id);
    if (!rec || (rec.status !== 'done' && rec.status !== 'failed')) continue;
    run.status = rec.status;
    run.config = rec.config;
    run.fields = rec.fields;
    run.startedAt = rec.startedAt;
    run.endedAt = rec.endedAt;
    run.error = rec.error === null ? null : { message: rec.error, stack: rec.errorStack };
    run.attempt = rec.attempt ?? run.attempt;
    run.steps = rec.steps ?? null;
    run.dirty = false;
    run.persisted = true;
    finished.push(run);
  }
  return finished;
}

/**
 * The URL array tasks reconnect with. The driver keeps no password (PostgreSQL
 * takes it from PGPASSWORD or ~/.pgpass in the task's environment, which
 * sbatch exports) and no schema, which is added back.
 */
export function storeUrl(store: Store): string {
  const d = store.driver;
  if (d.dialect.name === 'sqlite') {
    if (d.location === ':memory:') {
      throw new LockstepError('E_INPUT', 'an in-memory SQLite database cannot be shared with Slurm tasks; use a file');
    }
    return resolve(d.location);
  }
  const url = new URL(d.location);
  if (url.password === '***') url.password = '';
  const schema = (d as { schema?: string }).schema;
  if (schema) url.searchParams.set('schema', schema);
  return url.href;
}
