// The code that runs inside each pool worker (thread or child process). It
// loads the steps once, executes the runs of each task and sends back what
// the parent needs: status, error, fields, state and metric points. `vars`
// stay here.
import { readFileSync } from 'node:fs';
import { deserialize, serialize } from 'node:v8';
import { BroadcastChannel, isMainThread } from 'node:worker_threads';
import { Tinypool } from 'tinypool';
import { type LiveSink, Run } from '../../core/run.ts';
import { errorMessage } from '../../errors.ts';
import { startRun } from '../inline.ts';
import { markWorker } from '../insideWorker.ts';
import { resolveSteps } from '../steps.ts';
import type { Step } from '../types.ts';
import type { BatchResult, LiveMessage, PoolTask, RunResult, TaskRun, WorkerData } from './protocol.ts';

markWorker();
// process.exit() in a step would end this worker without telling the pool (tinypool waits forever for a
// thread that exits cleanly): it fails the run that called it instead.
process.exit = ((code?: number | string | null) => {
  throw new Error(`a step called process.exit(${code ?? ''}); throw an error to fail a run instead`);
}) as typeof process.exit;
// Threads receive the steps and config as workerData; child processes (which tinypool gives none) from a file.
const data = (Tinypool.workerData ??
  deserialize(readFileSync(process.env.LOCKSTEP_WORKER_DATA as string))) as WorkerData;
let loaded: Promise<Step[]> | undefined;

/**
 * Reports the run this worker executes to the parent, which writes it live:
 * the points logged since the last report and the fields so far, at least
 * every `liveMs` (from a timer while the step awaits, from `run.log` while it
 * computes). Threads report on a BroadcastChannel, child processes on their
 * IPC channel.
 */
class WorkerLive implements LiveSink {
  private current: Run | null = null;
  private lastSent = Date.now();
  /** Reports sent for the current run. */
  sent = 0;
  private readonly post: (m: LiveMessage) => void;

  constructor(
    /** A quarter of `liveMs`: the parent writes every half, so a point reaches the store within `liveMs`. */
    private readonly every: number,
    channel: string,
  ) {
    if (isMainThread && process.send) {
      const send = process.send.bind(process);
      this.post = (m) => send(m);
    } else {
      const bc = new BroadcastChannel(channel);
      (bc as unknown as { unref(): void }).unref();
      this.post = (m) => bc.postMessage(m);
    }
    setInterval(
      () => {
        const now = Date.now();
        if (this.current && now - this.lastSent >= this.every) this.send(this.current, now);
      },
      Math.max(10, every / 2),
    ).unref();
  }

  begin(run: Run): void {
    this.current = run;
    this.sent = 0;
    run.live = this;
  }

  end(run: Run): void {
    this.current = null;
    run.live = null;
  }

  poke(run: Run, now: number): void {
    if (now - this.lastSent >= this.every || run.pendingMetrics.length >= 50_000) this.send(run, now);
  }

  private send(run: Run, now: number): void {
    this.lastSent = now;
    const points = run.pendingMetrics;
    run.pendingMetrics = [];
    const update = { id: run.id, attempt: run.attempt, points, fields: run.fields as Record<string, unknown> | null };
    try {
      this.post({ lockstepLive: update });
      this.sent++;
    } catch {
      try {
        // fields that cannot be cloned yet: the points still go
        this.post({ lockstepLive: { ...update, fields: null } });
        this.sent++;
      } catch {
        run.pendingMetrics = points.concat(run.pendingMetrics);
      }
    }
  }
}

const live = new WorkerLive(data.liveMs / 4, data.liveChannel);
const how = { mode: 'fresh' as const, names: [] as string[], started: (run: Run) => live.begin(run) };
const continuing = { ...how, mode: 'continue' as const };

export default async function handle(task: PoolTask): Promise<BatchResult | { error: string } | { ok: true }> {
  loaded ??= resolveSteps(data.steps);
  let steps: Step[];
  try {
    steps = await loaded;
  } catch (e) {
    return { error: errorMessage(e) };
  }
  if (task.kind === 'check') return { ok: true };
  const started = performance.now();
  const results: RunResult[] = new Array(task.runs.length);
  for (let i = 0; i < task.runs.length; i++) {
    const [id, params, attempt, fields] = task.runs[i] as TaskRun;
    const run = new Run(params, id);
    run.attempt = attempt - 1;
    if (fields) run.fields = fields;
    const pending = startRun(run, steps, data.config, undefined, fields ? continuing : how);
    if (pending) await pending;
    live.end(run);
    results[i] = toResult(run, live.sent);
  }
  return { results: pack(results), busyMs: performance.now() - started };
}

function toResult(run: Run, sent: number): RunResult {
  return {
    id: run.id,
    status: run.status === 'done' ? 'done' : 'failed',
    error: run.error,
    startedAt: run.startedAt?.getTime() ?? Date.now(),
    endedAt: run.endedAt?.getTime() ?? Date.now(),
    fields: run.fields,
    state: run.state,
    metrics: run.pendingMetrics,
    live: sent,
  };
}

/**
 * Serialises here, not in postMessage, so that a field that cannot be cloned
 * (a function, a class with private state) fails its own run with a message
 * instead of losing the whole batch.
 */
function pack(results: RunResult[]): Uint8Array {
  try {
    return serialize(results);
  } catch {
    for (let i = 0; i < results.length; i++) {
      const r = results[i] as RunResult;
      try {
        serialize(r);
      } catch (e) {
        const where = whichPart(r);
        results[i] = {
          ...r,
          status: 'failed',
          error: {
            message: `${where} cannot be sent back from the worker (${errorMessage(e)}); store plain data there`,
            stack: null,
          },
          fields: {},
          state: {},
          metrics: [],
        };
      }
    }
    return serialize(results);
  }
}

function whichPart(r: RunResult): string {
  for (const part of ['fields', 'state'] as const) {
    for (const [k, v] of Object.entries(r[part])) {
      try {
        serialize(v);
      } catch {
        return `run.${part}.${k}`;
      }
    }
  }
  return 'a metric point';
}
