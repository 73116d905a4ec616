import type { Driver } from '../../store/driver.ts';
import { appliedIn, remember } from '../idempotency.ts';

/** A point as a request gives it (an MLflow metric as parsed: no step means step 0). */
export interface PointIn {
  key: string;
  value: number;
  step?: number | undefined;
  timestamp: number;
}

/** One request's points of one run, waiting for the next group transaction. */
interface Job {
  experimentId: string;
  runId: string;
  points: readonly PointIn[];
  key: string | undefined;
  done: (written: boolean) => void;
  fail: (e: unknown) => void;
}

/** Rows per INSERT: one prepared statement of this many rows does most of the work. */
const CHUNK = 100;
const COLUMNS = 6;
const MAX_GROUP = 64;
const insertSql = (rows: number) =>
  `INSERT INTO metrics (experiment_id, run_id, key, step, "timestamp", value) VALUES ${new Array(rows).fill('(?, ?, ?, ?, ?, ?)').join(', ')}`;
const FULL = insertSql(CHUNK);
const shorter = new Map<number, string>();

/**
 * Group commit for metric points: requests that arrive while a transaction
 * runs are written together in the next one, in arrival order. Many clients
 * logging at once then cost one commit per group instead of one per request,
 * and nobody waits behind later arrivals. A group that fails is retried one
 * request at a time, so one bad request fails alone.
 */
export class GroupWriter {
  private queue: Job[] = [];
  private running = false;

  constructor(private readonly driver: Driver) {}

  submit(job: Omit<Job, 'done' | 'fail'>): Promise<boolean> {
    return new Promise((done, fail) => {
      this.queue.push({ ...job, done, fail });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length) {
        const group = this.queue.splice(0, MAX_GROUP);
        try {
          const written = await this.write(group);
          for (let i = 0; i < group.length; i++) (group[i] as Job).done(written[i] as boolean);
        } catch {
          for (const j of group) {
            try {
              j.done((await this.write([j]))[0] as boolean);
            } catch (e) {
              j.fail(e);
            }
          }
        }
      }
    } finally {
      this.running = false;
    }
  }

  /**
   * One transaction for the group. A key is checked again inside it: the
   * same request may have been sent twice at once and be in two groups.
   */
  private async write(group: Job[]): Promise<boolean[]> {
    const written: boolean[] = [];
    await this.driver.transaction(async (tx) => {
      written.length = 0;
      const keys = new Set<string>();
      for (const job of group) {
        if (job.key !== undefined && (keys.has(job.key) || (await appliedIn(tx, job.key)))) {
          written.push(false);
          continue;
        }
        if (job.key !== undefined) keys.add(job.key);
        await insertRows(tx, job);
        await remember(tx, job.key);
        written.push(true);
      }
    });
    return written;
  }
}

/** The points of a job in multi-row INSERTs of one prepared shape, the parameters in one reused array. */
async function insertRows(tx: Driver, job: Job): Promise<void> {
  const { points, experimentId, runId } = job;
  const full = new Array(CHUNK * COLUMNS);
  for (let i = 0; i < points.length; i += CHUNK) {
    const n = Math.min(CHUNK, points.length - i);
    const params = n === CHUNK ? full : new Array(n * COLUMNS);
    let k = 0;
    for (let j = i; j < i + n; j++) {
      const p = points[j] as PointIn;
      params[k++] = experimentId;
      params[k++] = runId;
      params[k++] = p.key;
      params[k++] = p.step ?? 0;
      params[k++] = p.timestamp;
      params[k++] = p.value;
    }
    let sql = FULL;
    if (n !== CHUNK) {
      sql = shorter.get(n) ?? insertSql(n);
      shorter.set(n, sql);
    }
    await tx.run(sql, params);
  }
}

const writers = new WeakMap<Driver, GroupWriter>();

export function groupWriter(driver: Driver): GroupWriter {
  let w = writers.get(driver);
  if (!w) {
    w = new GroupWriter(driver);
    writers.set(driver, w);
  }
  return w;
}
