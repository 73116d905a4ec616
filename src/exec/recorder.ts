import type { Run } from '../core/run.ts';
import { isLockstepError } from '../errors.ts';
import type { ExperimentRecord, RunWrite, Store } from '../store/store.ts';

/** Writes a batch of runs in one transaction; the queue backend adds its own bookkeeping to it. */
export type WriteBatch = (runs: readonly RunWrite[]) => Promise<void>;

/**
 * Buffers finished runs and writes them in batches: one transaction per
 * `batchSize` runs or per `flushMs`, whichever comes first, so a crash (even
 * `kill -9`) loses at most the runs finished since the last write; they are
 * executed again by the next `execute`. Writes never overlap.
 */
export class Recorder {
  private pending: Run[] = [];
  private lastFlush = Date.now();
  private writing: Promise<void> = Promise.resolve();
  private readonly write: WriteBatch;
  private timer: NodeJS.Timeout | null = null;
  /** Runs written so far. */
  written = 0;

  constructor(
    store: Store,
    exp: ExperimentRecord,
    private readonly batchSize = 5000,
    private readonly flushMs = 50,
    write?: WriteBatch,
  ) {
    this.write = write ?? ((runs) => store.writeRuns(exp, runs));
  }

  /**
   * Also flush on a timer: while runs execute in workers this thread is idle,
   * so a time-based flush keeps the loss window at `flushMs` even when no run
   * finishes for a while.
   */
  startTimer(): void {
    this.timer ??= setInterval(
      () => {
        if (this.pending.length && Date.now() - this.lastFlush >= this.flushMs) this.flush().catch(() => undefined);
      },
      Math.max(10, this.flushMs / 2),
    );
    this.timer.unref();
  }

  add(run: Run): Promise<void> | undefined {
    this.pending.push(run);
    if (this.pending.length >= this.batchSize || Date.now() - this.lastFlush >= this.flushMs) return this.flush();
    return undefined;
  }

  /** Writes what is buffered; resolves when every write started so far is done. */
  flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.lastFlush = Date.now();
    if (batch.length) this.writing = this.writing.then(() => this.writeBatch(batch));
    return this.writing;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  private async writeBatch(batch: Run[]): Promise<void> {
    try {
      await this.write(batch.map((r) => r.toWrite()));
      for (const r of batch) r.markWritten();
      this.written += batch.length;
    } catch (e) {
      if (!isLockstepError(e, 'E_VALUE') && !isLockstepError(e, 'E_CONFLICT') && !isLockstepError(e, 'E_INPUT'))
        throw e;
      // One run's value cannot be stored: find it, fail it, keep the others.
      for (const run of batch) await this.writeAlone(run);
    }
  }

  private async writeAlone(run: Run): Promise<void> {
    try {
      await this.write([run.toWrite()]);
    } catch (e) {
      if (!isLockstepError(e)) throw e;
      run.status = 'failed';
      run.error = { message: e.message, stack: e.stack ?? null };
      // The run's fields stay in memory; the store keeps the failure without them.
      await this.write([{ ...run.toWrite(), fields: {}, metrics: [] }]);
    }
    run.markWritten();
    this.written++;
  }
}
