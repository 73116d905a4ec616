import type { Driver } from '../../store/driver.ts';
import { appliedIn, remember } from '../idempotency.ts';
import type { PointBatch } from './point-batch.ts';

/** One request's points of one run, with its idempotency key. */
export interface PointJob {
  experimentId: string;
  runId: string;
  points: PointBatch;
  key: string | undefined;
}

/** What writes points for the server: in this thread, or on a writer thread (./point-writer.ts). */
export interface PointWriter {
  /** Writes the job's points once: false (nothing written) when its key was applied already. */
  submit(job: PointJob): Promise<boolean>;
  /** Finishes what was submitted and lets go of any thread or connection. */
  close(): Promise<void>;
}

interface Job extends PointJob {
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
export class GroupWriter implements PointWriter {
  private queue: Job[] = [];
  private running: Promise<void> | null = null;

  constructor(private readonly driver: Driver) {}

  submit(job: PointJob): Promise<boolean> {
    return new Promise((done, fail) => {
      this.queue.push({ ...job, done, fail });
      // started after this turn, so that jobs submitted together make one group
      this.running ??= Promise.resolve().then(() => this.drain());
    });
  }

  async close(): Promise<void> {
    await this.running;
  }

  private async drain(): Promise<void> {
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
      this.running = null;
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
async function insertRows(tx: Driver, job: PointJob): Promise<void> {
  const { experimentId, runId } = job;
  const { names, keys, steps, timestamps, values } = job.points;
  const full = new Array(CHUNK * COLUMNS);
  for (let i = 0; i < keys.length; i += CHUNK) {
    const n = Math.min(CHUNK, keys.length - i);
    const params = n === CHUNK ? full : new Array(n * COLUMNS);
    let k = 0;
    for (let j = i; j < i + n; j++) {
      params[k++] = experimentId;
      params[k++] = runId;
      params[k++] = names[keys[j] as number];
      params[k++] = steps[j];
      params[k++] = timestamps[j];
      params[k++] = values[j];
    }
    let sql = FULL;
    if (n !== CHUNK) {
      sql = shorter.get(n) ?? insertSql(n);
      shorter.set(n, sql);
    }
    await tx.run(sql, params);
  }
}
