import { randomUUID } from 'node:crypto';
import type { Run } from '../../core/run.ts';
import { LockstepError } from '../../errors.ts';
import type { Driver } from '../../store/driver.ts';
import type { ExperimentRecord, RunWrite, Store } from '../../store/store.ts';
import { Store as StoreClass } from '../../store/store.ts';
import { writeNow } from '../recorder.ts';
import type { StepRef } from '../types.ts';
import { ensureQueueTables, QUEUE, SKIP_LOCKED, SPECS } from './tables.ts';

/** What a worker needs to execute an experiment's queued runs, besides the runs themselves. */
export interface QueueSpec {
  steps: StepRef[];
  config: Record<string, unknown>;
  retries: number;
  timeoutMs?: number;
  isolate?: 'threads' | 'processes';
  /** Runs that completed these steps execute again (see `execute`'s `rerun`). */
  rerun?: boolean;
  /** Live writes and lease of running runs, in ms. */
  liveMs?: number;
  leaseMs?: number;
}

/** A run whose worker dies is claimed again, up to `retries + EXTRA_CLAIMS` times in all. */
export const EXTRA_CLAIMS = 3;

/**
 * Puts runs in the queue: the runs are written first (as pending) so that any
 * worker can read their params from the store, then the spec and one queue
 * row per run, in one transaction. Runs another worker holds stay with it.
 */
export async function enqueue(
  store: Store,
  exp: ExperimentRecord,
  runs: readonly Run[],
  spec: QueueSpec,
): Promise<void> {
  const driver = store.driver;
  await ensureQueueTables(driver);
  const unwritten = runs.filter((r) => !r.persisted || r.dirty);
  if (unwritten.length) await writeNow(store, exp, unwritten);
  const d = driver.dialect;
  let config: unknown;
  try {
    config = d.toParam('binary', spec.config);
  } catch (e) {
    throw new LockstepError('E_INPUT', `the config cannot be stored for workers: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const { config: _, ...rest } = spec;
  const specId = randomUUID();
  await driver.transaction(async (tx) => {
    await tx.run(`INSERT INTO ${SPECS} (spec_id, experiment_id, spec, config, updated_at) VALUES (?, ?, ?, ?, ?)`, [
      specId,
      exp.id,
      JSON.stringify(rest),
      config,
      Date.now(),
    ]);
    await tx.run(`DELETE FROM ${QUEUE} WHERE experiment_id = ? AND state <> 'claimed'`, [exp.id]);
    await tx.insert({
      table: QUEUE,
      columns: [
        'experiment_id',
        'run_id',
        'spec_id',
        'seq',
        'state',
        'worker',
        'lease_until',
        'attempts',
        'max_attempts',
      ],
      rows: runs.map((r, i) => [exp.id, r.id, specId, i, 'pending', null, null, 0, spec.retries + EXTRA_CLAIMS]),
      conflict: ['experiment_id', 'run_id'],
    });
    await tx.run(
      `DELETE FROM ${SPECS} WHERE experiment_id = ? AND spec_id NOT IN (SELECT spec_id FROM ${QUEUE} WHERE experiment_id = ?)`,
      [exp.id, exp.id],
    );
  });
}

export async function readSpec(driver: Driver, specId: string): Promise<QueueSpec> {
  const [row] = await driver.all(`SELECT spec, config FROM ${SPECS} WHERE spec_id = ?`, [specId]);
  if (!row) throw new LockstepError('E_NOT_FOUND', `the queued execution ${specId} is gone (the queue was reset)`);
  const spec = JSON.parse(row.spec as string) as Omit<QueueSpec, 'config'>;
  return { ...spec, config: driver.dialect.fromColumn('binary', row.config) as Record<string, unknown> };
}

export interface Claim {
  experimentId: string;
  /** Claimed run ids by the spec (submission) they belong to. */
  bySpec: Map<string, string[]>;
  attempts: Map<string, number>;
}

/**
 * Claims up to `n` runs: pending ones, and claimed ones whose lease expired
 * (their worker died). On PostgreSQL `FOR UPDATE SKIP LOCKED` lets many
 * workers claim at once without waiting for each other or taking the same run.
 */
export async function claim(
  driver: Driver,
  worker: string,
  experimentId: string | undefined,
  n: number,
  leaseMs: number,
): Promise<Claim | null> {
  const now = Date.now();
  let exp = experimentId;
  if (!exp) {
    const [row] = await driver.all<{ experiment_id: string }>(
      `SELECT experiment_id FROM ${QUEUE} WHERE state = 'pending' OR (state = 'claimed' AND lease_until < ? AND attempts < max_attempts) LIMIT 1`,
      [now],
    );
    if (!row) return null;
    exp = row.experiment_id;
  }
  const rows = await driver.all<{ run_id: string; spec_id: string; attempts: number }>(
    `UPDATE ${QUEUE} SET state = 'claimed', worker = ?, lease_until = ?, attempts = attempts + 1
     WHERE experiment_id = ? AND run_id IN (
       SELECT run_id FROM ${QUEUE}
       WHERE experiment_id = ? AND (state = 'pending' OR (state = 'claimed' AND lease_until < ? AND attempts < max_attempts))
       ORDER BY seq LIMIT ?${SKIP_LOCKED[driver.dialect.name]}
     ) RETURNING run_id, spec_id, attempts`,
    [worker, now + leaseMs, exp, exp, now, n],
  );
  if (rows.length === 0) return null;
  const bySpec = new Map<string, string[]>();
  for (const r of rows) {
    const ids = bySpec.get(r.spec_id);
    if (ids) ids.push(r.run_id);
    else bySpec.set(r.spec_id, [r.run_id]);
  }
  return { experimentId: exp, bySpec, attempts: new Map(rows.map((r) => [r.run_id, Number(r.attempts)])) };
}

/** Extends the lease of every run this worker holds; returns how many it still holds. */
export function heartbeat(driver: Driver, worker: string, leaseMs: number): Promise<number> {
  return driver.run(`UPDATE ${QUEUE} SET lease_until = ? WHERE worker = ? AND state = 'claimed'`, [
    Date.now() + leaseMs,
    worker,
  ]);
}

/** Gives back what this worker holds and has not finished (on SIGTERM), without counting the attempt. */
export function release(driver: Driver, worker: string): Promise<number> {
  return driver.run(
    `UPDATE ${QUEUE} SET state = 'pending', worker = NULL, lease_until = NULL, attempts = attempts - 1 WHERE worker = ? AND state = 'claimed'`,
    [worker],
  );
}

/**
 * Writes finished runs and closes their queue rows in one transaction, but
 * only the runs this worker still holds: a run reclaimed by another worker
 * after this one's lease expired is written by that worker alone, so every
 * run is stored exactly once.
 */
export async function writeOwned(
  store: Store,
  exp: ExperimentRecord,
  worker: string,
  runs: readonly RunWrite[],
): Promise<void> {
  await store.driver.transaction(async (tx) => {
    const owned = new Set<string>();
    for (const status of ['done', 'failed'] as const) {
      const ids = runs
        .filter((r) => isFinal(r) && (r.status === 'done' ? 'done' : 'failed') === status)
        .map((r) => r.id);
      for (let i = 0; i < ids.length; i += 500) {
        const chunk = ids.slice(i, i + 500);
        const rows = await tx.all<{ run_id: string }>(
          `UPDATE ${QUEUE} SET state = ?, lease_until = NULL WHERE experiment_id = ? AND worker = ? AND state = 'claimed' AND run_id IN (${chunk.map(() => '?').join(', ')}) RETURNING run_id`,
          [status, exp.id, worker, ...chunk],
        );
        for (const r of rows) owned.add(r.run_id);
      }
    }
    // running runs (live writes): only while this worker still holds them
    const live = runs.filter((r) => !isFinal(r) && !r.pointsOnly).map((r) => r.id);
    for (let i = 0; i < live.length; i += 500) {
      const chunk = live.slice(i, i + 500);
      const rows = await tx.all<{ run_id: string }>(
        `SELECT run_id FROM ${QUEUE} WHERE experiment_id = ? AND worker = ? AND state = 'claimed' AND run_id IN (${chunk.map(() => '?').join(', ')})`,
        [exp.id, worker, ...chunk],
      );
      for (const r of rows) owned.add(r.run_id);
    }
    // late points keep their attempt, which keeps them out of a newer series
    const keep = runs.filter((r) => r.pointsOnly || owned.has(r.id));
    if (keep.length) await new StoreClass(tx).writeRuns(exp, keep);
  });
}

function isFinal(r: RunWrite): boolean {
  return r.status === 'done' || r.status === 'failed';
}

/**
 * Runs whose worker died more often than allowed are failed (in the queue and
 * in the store) so that waiting ends. Returns their ids.
 */
export async function failAbandoned(store: Store, exp: ExperimentRecord): Promise<string[]> {
  return store.driver.transaction(async (tx) => {
    const rows = await tx.all<{ run_id: string; attempts: number }>(
      `UPDATE ${QUEUE} SET state = 'failed', lease_until = NULL WHERE experiment_id = ? AND state = 'claimed' AND lease_until < ? AND attempts >= max_attempts RETURNING run_id, attempts`,
      [exp.id, Date.now()],
    );
    if (rows.length === 0) return [];
    const txStore = new StoreClass(tx);
    const recs = await txStore.readRuns(exp, { runIds: rows.map((r) => r.run_id) });
    const now = new Date();
    await txStore.writeRuns(
      exp,
      recs.map((r) => ({
        ...r,
        status: 'failed' as const,
        endedAt: now,
        error: `its worker stopped answering (lease expired) on each of its ${rows.find((x) => x.run_id === r.id)?.attempts} attempts`,
        errorStack: null,
        metrics: [],
        replaceMetrics: false,
      })),
    );
    return rows.map((r) => r.run_id);
  });
}

/**
 * `failAbandoned` for every experiment that has such runs: a worker serving
 * any experiment must end them too, or waiting for an empty queue never ends.
 */
export async function failAbandonedAll(store: Store): Promise<string[]> {
  const rows = await store.driver.all<{ experiment_id: string }>(
    `SELECT DISTINCT experiment_id FROM ${QUEUE} WHERE state = 'claimed' AND lease_until < ? AND attempts >= max_attempts`,
    [Date.now()],
  );
  const failed: string[] = [];
  for (const { experiment_id } of rows) {
    const [e] = await store.driver.all<{ name: string }>('SELECT name FROM experiments WHERE id = ?', [experiment_id]);
    if (e) failed.push(...(await failAbandoned(store, await store.requireExperiment(e.name))));
  }
  return failed;
}

export interface QueueCounts {
  pending: number;
  claimed: number;
  done: number;
  failed: number;
}

/** Queue rows by state, for one experiment or all. */
export async function counts(driver: Driver, experimentId?: string): Promise<QueueCounts> {
  await ensureQueueTables(driver);
  const rows = await driver.all<{ state: keyof QueueCounts; n: number }>(
    `SELECT state, COUNT(*) AS n FROM ${QUEUE}${experimentId ? ' WHERE experiment_id = ?' : ''} GROUP BY state`,
    experimentId ? [experimentId] : [],
  );
  const out: QueueCounts = { pending: 0, claimed: 0, done: 0, failed: 0 };
  for (const r of rows) out[r.state] = Number(r.n);
  return out;
}

/** Claim counts of the runs of one experiment, for the summary's attempts. */
export async function attemptsOf(driver: Driver, experimentId: string): Promise<Map<string, number>> {
  const rows = await driver.all<{ run_id: string; attempts: number }>(
    `SELECT run_id, attempts FROM ${QUEUE} WHERE experiment_id = ?`,
    [experimentId],
  );
  return new Map(rows.map((r) => [r.run_id, Number(r.attempts)]));
}
