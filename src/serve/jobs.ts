import { randomUUID } from 'node:crypto';
import { errorMessage } from '../errors.ts';

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface Job {
  id: string;
  kind: string;
  status: JobStatus;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  result: Record<string, unknown> | null;
  error: string | null;
}

/**
 * Background jobs of one server, run one at a time in submission order (two
 * retrains racing to move one alias would make the outcome depend on
 * timing). Only the most recent jobs are kept.
 */
export class JobQueue {
  private readonly jobs = new Map<string, Job>();
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly keep = 100) {}

  submit(kind: string, work: (job: Job) => Promise<Record<string, unknown>>): Job {
    const job: Job = {
      id: randomUUID(),
      kind,
      status: 'queued',
      createdAt: new Date().toISOString(),
      startedAt: null,
      finishedAt: null,
      result: null,
      error: null,
    };
    this.jobs.set(job.id, job);
    this.prune();
    this.tail = this.tail.then(async () => {
      job.status = 'running';
      job.startedAt = new Date().toISOString();
      try {
        job.result = await work(job);
        job.status = 'succeeded';
      } catch (e) {
        job.error = errorMessage(e);
        job.status = 'failed';
      }
      job.finishedAt = new Date().toISOString();
    });
    return job;
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  /** Resolves when every job submitted so far has finished (for shutdown and tests). */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }

  private prune(): void {
    for (const [id, job] of this.jobs) {
      if (this.jobs.size <= this.keep) break;
      if (job.status === 'succeeded' || job.status === 'failed') this.jobs.delete(id);
    }
  }
}
