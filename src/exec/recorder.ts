import { hostname } from 'node:os';
import type { LiveSink, Run, WriterStamp } from '../core/run.ts';
import { isLockstepError } from '../errors.ts';
import type { ExperimentRecord, MetricPoint, RunWrite, Store } from '../store/store.ts';

/** Writes a batch of runs in one transaction; the queue backend adds its own bookkeeping to it. */
export type WriteBatch = (runs: readonly RunWrite[]) => Promise<void>;

/** What a worker reports about the run it is executing. */
export interface LiveUpdate {
  id: string;
  attempt: number;
  points: MetricPoint[];
  /** The fields set so far; null when they could not be sent. */
  fields: Record<string, unknown> | null;
}

export interface RecorderOptions {
  /** Finished runs per write transaction at most (default 5000). */
  batchSize?: number;
  /** Finished runs wait at most this long for their write, in ms (default 50). */
  flushMs?: number;
  /** Running runs' rows, points and leases are written at least this often, in ms (default 1000). */
  liveMs?: number;
  /** A running run whose lease is not renewed for this long counts as interrupted (default 30 000 ms). */
  leaseMs?: number;
  /** `inline`, `threads`, `processes`, `queue` or `slurm`: recorded with each run. */
  executor?: string;
  /** Replaces the plain store write (the queue writes only the runs its worker still holds). */
  write?: WriteBatch;
}

/** Points buffered for one running run before a write is due whatever the time. */
const MAX_BUFFERED = 50_000;

const HOST = hostname();

/**
 * The one writer of an execution. Finished runs are written in batches: one
 * transaction per `batchSize` runs or per `flushMs`, so a crash (even
 * `kill -9`) loses at most the runs finished since the last write; they run
 * again on the next `execute`. Running runs are written live: their row
 * (status `running`, who runs them, a lease, the fields so far) and the
 * points they logged reach the store within `liveMs` (written every half), from a timer,
 * from `run.log` (synchronously on SQLite, so a step that never yields is
 * still visible), or from the worker executing them. Writes never overlap.
 */
export class Recorder implements LiveSink {
  private pending: Run[] = [];
  private readonly running = new Set<Run>();
  /** Points that arrived after their run's attempt ended (a late worker message). */
  private late: RunWrite[] = [];
  private lastFlush = Date.now();
  private lastLive = Date.now();
  private writing: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private readonly write: WriteBatch;
  private readonly custom: boolean;
  private timer: NodeJS.Timeout | null = null;
  private readonly batchSize: number;
  private readonly flushMs: number;
  /** Running runs are written every half `liveMs`: a point waits at most `liveMs`, a worker's report included. */
  private liveEvery: number;
  private readonly leaseMs: number;
  private readonly who: WriterStamp;
  /** The run each write came from, to give a failed write back. */
  private readonly owners = new WeakMap<RunWrite, Run>();
  /** Runs written so far. */
  written = 0;

  constructor(
    private readonly store: Store,
    private readonly exp: ExperimentRecord,
    o: RecorderOptions = {},
  ) {
    this.batchSize = o.batchSize ?? 5000;
    this.flushMs = o.flushMs ?? 50;
    this.liveEvery = (o.liveMs ?? 1000) / 2;
    this.leaseMs = o.leaseMs ?? 30_000;
    this.who = { host: HOST, pid: process.pid, executor: o.executor ?? 'inline' };
    this.custom = o.write !== undefined;
    this.write =
      o.write ??
      (async (runs) => {
        await store.writeRuns(exp, runs);
      });
  }

  /**
   * Flushes on a timer too: while steps await or run in workers this thread
   * is idle, so finished runs wait at most `flushMs` and running ones `liveMs`.
   */
  startTimer(): void {
    this.timer ??= setInterval(
      () => {
        const now = Date.now();
        if (
          (this.pending.length && now - this.lastFlush >= this.flushMs) ||
          ((this.running.size || this.late.length) && now - this.lastLive >= this.liveEvery)
        )
          this.flush().catch(() => undefined);
      },
      Math.max(10, Math.min(this.flushMs, this.liveEvery) / 2),
    );
    this.timer.unref();
  }

  /**
   * Other processes execute the same experiment: running runs are written
   * as soon as they start (within `flushMs`), so the others leave them.
   */
  shareSoon(): void {
    this.liveEvery = Math.min(this.liveEvery, this.flushMs);
  }

  /** A run begins executing in this thread: it is written live until it finishes. */
  started(run: Run): void {
    run.live = this;
    this.running.add(run);
  }

  /** Stops writing a run live; its final write is the caller's. */
  detach(run: Run): void {
    run.live = null;
    this.running.delete(run);
  }

  /** Live data from the worker executing a run. */
  fromWorker(run: Run, u: LiveUpdate): void {
    if (u.attempt !== run.attempt || run.status !== 'running') {
      // the attempt ended (its result came first) or was replaced: keep its points, apart from any newer series
      if (u.points.length) this.late.push(pointsOnly(run, u));
      return;
    }
    if (u.points.length)
      run.pendingMetrics = run.pendingMetrics.length ? run.pendingMetrics.concat(u.points) : u.points;
    if (u.fields) run.fields = u.fields;
    this.running.add(run);
  }

  /** `run.log` calls this every few points: a live write is due on time or on size. */
  poke(run: Run, now: number): void {
    if (now - this.lastLive < this.liveEvery && run.pendingMetrics.length < MAX_BUFFERED) return;
    if (this.inFlight === 0 && !this.custom && this.flushSync(now)) return;
    this.flush().catch(() => undefined);
  }

  /** A run finished: written with the next batch. */
  add(run: Run): Promise<void> | undefined {
    run.live = null;
    this.running.delete(run);
    this.pending.push(run);
    if (this.pending.length >= this.batchSize || Date.now() - this.lastFlush >= this.flushMs) return this.flush();
    return undefined;
  }

  /** Writes what is buffered; resolves when every write started so far is done. */
  flush(): Promise<void> {
    const now = Date.now();
    const batch = this.pending;
    this.pending = [];
    this.lastFlush = now;
    const live = now - this.lastLive >= this.liveEvery ? this.takeLive(now) : [];
    if (batch.length || live.length) {
      this.inFlight++;
      this.writing = this.writing
        .then(() => this.writeBatch(batch, live))
        .finally(() => {
          this.inFlight--;
        });
    }
    return this.writing;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  /** The live writes due now: running runs (row, lease, points so far) and late points. */
  private takeLive(now: number): RunWrite[] {
    this.lastLive = now;
    const out = this.late;
    this.late = [];
    for (const run of this.running) out.push(this.take(run, now + this.leaseMs));
    return out;
  }

  private take(run: Run, leaseUntil: number | null): RunWrite {
    const w = run.takeWrite(this.who, leaseUntil);
    this.owners.set(w, run);
    return w;
  }

  /** A live write done before returning (SQLite, nothing else writing): a step that never yields is still seen. */
  private flushSync(now: number): boolean {
    const live = this.takeLive(now);
    try {
      if (this.store.writeRunsSync(this.exp, live)) {
        this.liveWritten(live);
        return true;
      }
    } catch {
      // a value that cannot be stored yet, a busy database: the asynchronous path sorts it out
    }
    this.giveBack(live);
    this.lastLive = 0;
    return false;
  }

  private async writeBatch(batch: Run[], live: RunWrite[]): Promise<void> {
    const finals = batch.map((r) => this.take(r, null));
    try {
      await this.write(live.length ? [...finals, ...live] : finals);
    } catch (e) {
      this.giveBack(finals);
      this.giveBack(live);
      if (!isLockstepError(e, 'E_VALUE') && !isLockstepError(e, 'E_CONFLICT') && !isLockstepError(e, 'E_INPUT'))
        throw e;
      // One run's value cannot be stored: find it, fail it, keep the others.
      for (const run of batch) await this.writeAlone(run);
      await this.writeLiveWithoutFields();
      return;
    }
    for (const r of batch) r.markWritten();
    this.liveWritten(live);
    this.written += batch.length;
  }

  /** Partial fields that cannot be stored yet must not stop the points: the run's end decides about its fields. */
  private async writeLiveWithoutFields(): Promise<void> {
    const live = this.takeLive(Date.now());
    if (live.length === 0) return;
    for (const w of live) w.fields = {};
    try {
      await this.write(live);
      this.liveWritten(live);
    } catch {
      this.giveBack(live);
    }
  }

  private async writeAlone(run: Run): Promise<void> {
    const w = this.take(run, null);
    try {
      await this.write([w]);
    } catch (e) {
      if (!isLockstepError(e)) {
        run.restoreWrite(w);
        throw e;
      }
      run.status = 'failed';
      run.error = { message: e.message, stack: e.stack ?? null };
      // The run's fields stay in memory; the store keeps the failure without them.
      await this.write([{ ...w, status: 'failed', error: e.message, errorStack: e.stack ?? null, fields: {} }]);
    }
    run.markWritten();
    this.written++;
  }

  private liveWritten(live: readonly RunWrite[]): void {
    for (const w of live) {
      const run = this.owners.get(w);
      if (run) run.persisted = true;
    }
  }

  /** Writes that did not happen: points go back to their runs (late points to the late list). */
  private giveBack(writes: readonly RunWrite[]): void {
    for (const w of writes) {
      const run = this.owners.get(w);
      if (run) run.restoreWrite(w);
      else this.late.push(w);
    }
  }
}

/**
 * Writes runs in one transaction, outside any execution (`persist`,
 * enqueueing): either all are stored or, on a throw, none is and each run
 * keeps what it would have written.
 */
export async function writeNow(store: Store, exp: ExperimentRecord, runs: readonly Run[]): Promise<void> {
  const writes = runs.map((r) => r.takeWrite());
  try {
    await store.writeRuns(exp, writes);
  } catch (e) {
    for (let i = 0; i < runs.length; i++) (runs[i] as Run).restoreWrite(writes[i] as RunWrite);
    throw e;
  }
  for (const r of runs) r.markWritten();
}

function pointsOnly(run: Run, u: LiveUpdate): RunWrite {
  return {
    id: run.id,
    status: run.status,
    startedAt: null,
    endedAt: null,
    error: null,
    errorStack: null,
    paramsKey: run.paramsKey,
    config: {},
    params: {},
    fields: {},
    attempt: u.attempt,
    metrics: u.points,
    replaceMetrics: false,
    pointsOnly: true,
  };
}
