import { deserialize } from 'node:v8';
import type { Tinypool } from 'tinypool';
import type { Run } from '../../core/run.ts';
import { errorMessage, LockstepError } from '../../errors.ts';
import { timeoutError } from '../inline.ts';
import type { LiveUpdate } from '../recorder.ts';
import type { OnFinished } from '../types.ts';
import type { PoolOptions } from './pool.ts';
import type { BatchResult, PoolTask, RunResult, TaskRun } from './protocol.ts';

const TARGET_TASK_MS = 25;
const MAX_RUNS_PER_TASK = 2048;

/**
 * Feeds one execution's runs to a started pool: batches sized from the time
 * workers spend per run, at most two tasks per worker in flight (one with a
 * timeout), retries, failFast, and crash isolation (a batch whose worker died
 * is retried run by run to find the culprit).
 */
export class Dispatcher {
  private readonly queue: Run[];
  /** Runs split out of a batch whose worker died: they go one by one to find the culprit. */
  private readonly alone: Run[] = [];
  private next = 0;
  private inFlight = 0;
  private stopped = false;
  private perRunMs: number | undefined;
  private needsWarmWorker = false;
  private readonly writes: Promise<void>[] = [];
  private resolve!: (stopped: boolean) => void;
  private reject!: (e: unknown) => void;
  private failedWith: unknown;
  /** Runs by id, built on the first live report. */
  private byId: Map<string, Run> | null = null;
  /** Live reports received for the current attempt of a run. */
  private readonly received = new Map<string, number>();
  /** Results that wait for live reports still on their way (threads report on another channel than results). */
  private readonly waiting = new Map<string, { run: Run; result: RunResult; timer: NodeJS.Timeout }>();
  private readonly fresh: { mode: 'fresh' | 'continue'; names: readonly string[] };
  private readonly cont: { mode: 'fresh' | 'continue'; names: readonly string[] };

  constructor(
    private readonly pool: Tinypool,
    runs: readonly Run[],
    private readonly o: PoolOptions,
    private readonly onFinished: OnFinished,
    private readonly runOptions: object = {},
  ) {
    this.queue = [...runs];
    this.fresh = { mode: 'fresh', names: o.names ?? [] };
    this.cont = { mode: 'continue', names: o.names ?? [] };
  }

  /** A worker's report on the run it executes: the recorder writes it live. */
  onLive(u: LiveUpdate): void {
    if (!this.o.live) return;
    if (!this.byId) this.byId = new Map(this.queue.map((r) => [r.id, r]));
    const run = this.byId.get(u.id);
    if (!run) return;
    this.o.live.fromWorker(run, u);
    if (u.attempt !== run.attempt) return;
    const n = (this.received.get(run.id) ?? 0) + 1;
    this.received.set(run.id, n);
    const w = this.waiting.get(run.id);
    if (w && n >= w.result.live) this.release(run.id);
  }

  /** A result whose live reports have all arrived (or never will): the run finishes now. */
  private release(id: string): void {
    const w = this.waiting.get(id);
    if (!w) return;
    clearTimeout(w.timer);
    this.waiting.delete(id);
    this.apply(w.run, w.result);
    this.pump();
  }

  run(): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      this.pump();
    });
  }

  private remaining(): number {
    return this.queue.length - this.next + this.alone.length;
  }

  private pump(): void {
    // With a timeout, one task per worker: a task waiting in tinypool's queue would spend its time budget there.
    const limit = this.o.timeoutMs ? this.o.jobs : this.o.jobs * 2;
    while (!this.stopped && this.failedWith === undefined && this.inFlight < limit && this.remaining() > 0) {
      const batch = this.take();
      if (batch.length) this.dispatch(batch);
    }
    if (
      this.inFlight === 0 &&
      this.waiting.size === 0 &&
      (this.stopped || this.failedWith !== undefined || this.remaining() === 0)
    ) {
      Promise.all(this.writes).then(
        () => (this.failedWith === undefined ? this.resolve(this.stopped) : this.reject(this.failedWith)),
        this.reject,
      );
    }
  }

  private take(): Run[] {
    if (this.alone.length) return [this.alone.shift() as Run];
    let size = this.o.timeoutMs ? 1 : (this.o.runsPerTask ?? this.adaptiveSize());
    size = Math.max(1, Math.min(size, this.queue.length - this.next));
    const skip = this.o.skip;
    if (!skip) {
      const batch = this.queue.slice(this.next, this.next + size);
      this.next += size;
      return batch;
    }
    const batch: Run[] = [];
    while (batch.length < size && this.next < this.queue.length) {
      const run = this.queue[this.next++] as Run;
      if (!skip(run)) batch.push(run);
    }
    return batch;
  }

  private adaptiveSize(): number {
    const left = this.queue.length - this.next;
    // Keep the tail balanced: never more than a quarter of what is left per worker.
    const fair = Math.max(1, Math.ceil(left / (this.o.jobs * 4)));
    const wanted = this.perRunMs === undefined ? 8 : Math.round(TARGET_TASK_MS / Math.max(this.perRunMs, 0.001));
    return Math.max(1, Math.min(wanted, fair, MAX_RUNS_PER_TASK));
  }

  private dispatch(batch: Run[]): void {
    this.inFlight++;
    const runs: TaskRun[] = new Array(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const run = batch[i] as Run;
      const how = this.o.continuing?.has(run) ? this.cont : this.fresh;
      run.begin(this.o.config, how.mode, how.names);
      this.o.attempts.set(run.id, (this.o.attempts.get(run.id) ?? 0) + 1);
      this.received.delete(run.id);
      runs[i] = [run.id, run.params, run.attempt, how.mode === 'continue' ? run.fields : null];
    }
    const task: PoolTask = { kind: 'runs', runs };
    this.send(task).then(
      (out) => this.settled(batch, out),
      (e) => this.crashed(batch, e),
    );
  }

  private async send(task: PoolTask): Promise<unknown> {
    const ms = this.o.timeoutMs;
    if (!ms) return this.pool.run(task, this.runOptions);
    if (this.needsWarmWorker) {
      // The replacement of a terminated worker loads the steps before its run's clock starts.
      this.needsWarmWorker = false;
      await this.pool.run({ kind: 'check' } as PoolTask, this.runOptions);
    }
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(timeoutError(ms)), ms);
    try {
      return await this.pool.run(task, { ...this.runOptions, signal: ac.signal });
    } catch (e) {
      if (ac.signal.aborted) {
        this.needsWarmWorker = true;
        throw timeoutError(ms);
      }
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  private settled(batch: Run[], out: unknown): void {
    this.inFlight--;
    try {
      const answer = out as BatchResult | null;
      if (!answer || !(answer.results instanceof Uint8Array)) {
        throw new LockstepError('E_RUN', `a worker answered ${JSON.stringify(out)} instead of run results`);
      }
      // Sized from the time the worker spent, not the round trip: waiting in a queue is not work.
      const per = answer.busyMs / batch.length;
      this.perRunMs = this.perRunMs === undefined ? per : 0.7 * this.perRunMs + 0.3 * per;
      const results = deserialize(answer.results) as RunResult[];
      for (let i = 0; i < batch.length; i++) {
        const run = batch[i] as Run;
        const result = results[i] as RunResult;
        if (result.live > (this.received.get(run.id) ?? 0) && this.o.live) {
          // its last reports are still on their way: they are applied first, or given up on after 10 s
          const timer = setTimeout(() => this.release(run.id), 10_000);
          this.waiting.set(run.id, { run, result, timer });
        } else this.apply(run, result);
      }
    } catch (e) {
      this.failedWith ??= e;
    }
    this.pump();
  }

  private crashed(batch: Run[], e: unknown): void {
    this.inFlight--;
    if (batch.length > 1) {
      // Which run killed the worker is unknown: try each alone, without counting this attempt.
      for (const run of batch) this.o.attempts.set(run.id, (this.o.attempts.get(run.id) ?? 1) - 1);
      this.alone.push(...batch);
    } else {
      const run = batch[0] as Run;
      const timedOut = e instanceof LockstepError && e.message.startsWith('timed out');
      run.finish(timedOut ? e : new LockstepError('E_RUN', `the worker running this run died: ${errorMessage(e)}`));
      this.finished(run);
    }
    this.pump();
  }

  private apply(run: Run, r: RunResult): void {
    run.fields = r.fields;
    run.state = r.state;
    if (r.metrics.length)
      run.pendingMetrics = run.pendingMetrics.length ? run.pendingMetrics.concat(r.metrics) : r.metrics;
    if (r.status === 'done') run.finish();
    else {
      const e = new Error(r.error?.message ?? 'unknown error');
      e.stack = r.error?.stack ?? undefined;
      run.finish(e);
      run.error = r.error;
    }
    run.startedAt = new Date(r.startedAt);
    run.endedAt = new Date(r.endedAt);
    this.finished(run);
  }

  private finished(run: Run): void {
    if (run.status === 'failed' && (this.o.attempts.get(run.id) ?? 1) <= this.o.retries && !this.stopped) {
      this.alone.push(run);
      return;
    }
    const w = this.onFinished(run);
    if (w)
      this.writes.push(
        w.catch((e) => {
          this.failedWith ??= e;
        }),
      );
    this.o.progress?.tick(run.status === 'failed');
    if (run.status === 'failed' && this.o.failFast) this.stopped = true;
  }
}
