import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Run } from '../../core/run.ts';
import { LockstepError } from '../../errors.ts';
import type { ExperimentRecord, Store } from '../../store/store.ts';
import { executionMode } from '../plan.ts';
import { RunPool } from '../pool/pool.ts';
import { Recorder } from '../recorder.ts';
import {
  claim,
  failAbandoned,
  failAbandonedAll,
  heartbeat,
  type QueueSpec,
  readSpec,
  release,
  writeOwned,
} from './queue.ts';
import { ensureQueueTables, QUEUE } from './tables.ts';

export interface WorkerOptions {
  /** Only this experiment's runs (by name); otherwise any experiment with queued runs. */
  experiment?: string;
  /** Worker threads executing runs (default 1). Steps always run off the main thread, which keeps the heartbeat. */
  jobs?: number;
  /** Milliseconds a claimed run stays reserved without a heartbeat (default 60 000). */
  leaseMs?: number;
  /** Milliseconds between looks at an empty queue (default 1000). */
  pollMs?: number;
  /** Stop when the queue has nothing pending or held by another live worker (Slurm tasks do). */
  exitWhenEmpty?: boolean;
  /** Runs claimed at a time (default: jobs). */
  claimSize?: number;
  /** Stop claiming, give back unfinished runs and return (SIGTERM from Slurm or the user). */
  signal?: AbortSignal;
  /** One line per claimed batch and a last line, for logs. */
  log?: (line: string) => void;
}

export interface WorkerReport {
  worker: string;
  executed: number;
  done: number;
  failed: number;
}

interface Target {
  specId: string;
  spec: QueueSpec;
  record: ExperimentRecord;
  pool: RunPool;
}

/**
 * A `lockstep worker`: claims queued runs from the store, executes them on a
 * pool of worker threads and writes each as it finishes, while the main
 * thread extends its lease. Any number of these, on any machine that reaches
 * the database, share one queue.
 */
export async function runWorker(store: Store, o: WorkerOptions = {}): Promise<WorkerReport> {
  const driver = store.driver;
  await ensureQueueTables(driver);
  const id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const jobs = o.jobs ?? 1;
  const leaseMs = o.leaseMs ?? 60_000;
  const pollMs = o.pollMs ?? 1000;
  const log = o.log ?? (() => undefined);
  const only = o.experiment ? await store.requireExperiment(o.experiment) : undefined;
  const targets = new Map<string, Target>();
  const report: WorkerReport = { worker: id, executed: 0, done: 0, failed: 0 };
  const beat = setInterval(() => heartbeat(driver, id, leaseMs).catch(() => undefined), Math.max(50, leaseMs / 3));
  // Stopping: give back what is held first (so results of interrupted runs are not written), then end the threads.
  const onAbort = () => {
    void release(driver, id)
      .catch(() => undefined)
      .then(() => Promise.all([...targets.values()].map((t) => t.pool.close().catch(() => undefined))));
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  log(`lockstep worker ${id}: claiming runs${only ? ` of ${only.name}` : ''} from ${driver.location}`);
  try {
    while (!o.signal?.aborted) {
      const got = await claim(driver, id, only?.id, o.claimSize ?? jobs, leaseMs);
      if (!got) {
        if (only) await failAbandoned(store, only);
        else await failAbandonedAll(store);
        if (o.exitWhenEmpty && (await outstanding(store, only?.id)) === 0) break;
        await sleep(pollMs, o.signal);
        continue;
      }
      for (const [specId, runIds] of got.bySpec) {
        const target = await targetFor(store, got.experimentId, specId, targets, jobs);
        const runs = (await store.readRuns(target.record, { runIds })).map((r) => Run.fromRecord(r));
        log(`lockstep worker ${id}: ${runs.length} run(s) of ${target.record.name}`);
        const recorder = new Recorder(store, target.record, {
          batchSize: 1000,
          flushMs: 100,
          liveMs: target.spec.liveMs ?? 1000,
          leaseMs: target.spec.leaseMs ?? 30_000,
          executor: process.env.SLURM_JOB_ID ? 'slurm' : 'queue',
          write: (batch) => writeOwned(store, target.record, id, batch),
        });
        recorder.startTimer();
        const names = target.spec.steps.map((s) => s.export);
        const continuing = new Set(
          runs.filter((r) => executionMode(r, names, target.spec.rerun === true) === 'continue'),
        );
        try {
          await target.pool.execute(
            runs,
            (run) => {
              report.executed++;
              if (run.status === 'done') report.done++;
              else report.failed++;
              return recorder.add(run);
            },
            { names, continuing, live: recorder },
          );
        } finally {
          await recorder.close();
        }
      }
    }
  } finally {
    clearInterval(beat);
    o.signal?.removeEventListener('abort', onAbort);
    if (o.signal?.aborted) await release(driver, id).catch(() => undefined);
    for (const t of targets.values()) await t.pool.close().catch(() => undefined);
  }
  log(`lockstep worker ${id}: executed ${report.executed} run(s), ${report.done} done, ${report.failed} failed`);
  return report;
}

/** The experiment and a started pool for a spec; a new spec of the same experiment replaces the old pool. */
async function targetFor(
  store: Store,
  experimentId: string,
  specId: string,
  targets: Map<string, Target>,
  jobs: number,
): Promise<Target> {
  let t = targets.get(experimentId);
  if (t && t.specId !== specId) {
    await t.pool.close();
    targets.delete(experimentId);
    t = undefined;
  }
  if (!t) {
    const [row] = await store.driver.all<{ name: string }>('SELECT name FROM experiments WHERE id = ?', [experimentId]);
    if (!row)
      throw new LockstepError('E_NOT_FOUND', `queued runs belong to experiment ${experimentId}, which was deleted`);
    const record = await store.requireExperiment(row.name);
    const spec = await readSpec(store.driver, specId);
    const pool = await RunPool.start({
      jobs,
      isolate: spec.isolate ?? 'threads',
      steps: spec.steps,
      config: spec.config,
      failFast: false,
      retries: spec.retries,
      timeoutMs: spec.timeoutMs,
      attempts: new Map(),
      liveMs: spec.liveMs ?? 1000,
    });
    t = { specId, spec, record, pool };
    targets.set(experimentId, t);
  }
  return t;
}

/** Runs still to do: pending, or held by a worker whose lease has not expired yet (it may die and leave them). */
async function outstanding(store: Store, experimentId: string | undefined): Promise<number> {
  const [row] = await store.driver.all<{ n: number }>(
    `SELECT COUNT(*) AS n FROM ${QUEUE} WHERE state IN ('pending', 'claimed')${experimentId ? ' AND experiment_id = ?' : ''}`,
    experimentId ? [experimentId] : [],
  );
  return Number(row?.n ?? 0);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
