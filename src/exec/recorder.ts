import type { Run } from '../core/run.ts';
import { isLockstepError } from '../errors.ts';
import type { ExperimentRecord, Store } from '../store/store.ts';

/**
 * Buffers finished runs and writes them in batches: one transaction per
 * `batchSize` runs or per `flushMs`, whichever comes first, so a crash loses
 * at most the runs finished since the last write.
 */
export class Recorder {
  private pending: Run[] = [];
  private lastFlush = Date.now();

  constructor(
    private readonly store: Store,
    private readonly exp: ExperimentRecord,
    private readonly batchSize = 1000,
    private readonly flushMs = 1000,
  ) {}

  add(run: Run): Promise<void> | undefined {
    this.pending.push(run);
    if (this.pending.length >= this.batchSize || Date.now() - this.lastFlush >= this.flushMs) return this.flush();
    return undefined;
  }

  async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.lastFlush = Date.now();
    if (batch.length === 0) return;
    try {
      await this.store.writeRuns(
        this.exp,
        batch.map((r) => r.toWrite()),
      );
      for (const r of batch) r.markWritten();
    } catch (e) {
      if (!isLockstepError(e, 'E_VALUE') && !isLockstepError(e, 'E_CONFLICT') && !isLockstepError(e, 'E_INPUT'))
        throw e;
      // One run's value cannot be stored: find it, fail it, keep the others.
      for (const run of batch) await this.writeAlone(run);
    }
  }

  private async writeAlone(run: Run): Promise<void> {
    try {
      await this.store.writeRuns(this.exp, [run.toWrite()]);
    } catch (e) {
      if (!isLockstepError(e)) throw e;
      run.status = 'failed';
      run.error = { message: e.message, stack: e.stack ?? null };
      // The run's fields stay in memory; the store keeps the failure without them.
      await this.store.writeRuns(this.exp, [{ ...run.toWrite(), fields: {}, metrics: [] }]);
    }
    run.markWritten();
  }
}
