import type { Driver } from '../../store/driver.ts';
import { appliedIn, remember } from '../idempotency.ts';

/** One request's points, waiting for the next group transaction. */
interface Job {
  experimentId: string;
  rows: readonly { runId: string; key: string; value: number; step: number; timestamp: number }[];
  key: string | undefined;
  done: (written: boolean) => void;
  fail: (e: unknown) => void;
}

const CHUNK = 100;
const INSERT_POINTS = 'INSERT INTO metrics (experiment_id, run_id, key, step, "timestamp", value) VALUES ';
const MAX_GROUP = 64;

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
        for (let i = 0; i < job.rows.length; i += CHUNK) {
          const part = job.rows.slice(i, i + CHUNK);
          const params: unknown[] = [];
          for (const p of part) params.push(job.experimentId, p.runId, p.key, p.step, p.timestamp, p.value);
          await tx.run(`${INSERT_POINTS}${part.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`, params);
        }
        await remember(tx, job.key);
        written.push(true);
      }
    });
    return written;
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
