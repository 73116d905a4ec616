import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { BroadcastChannel } from 'node:worker_threads';
import { Tinypool } from 'tinypool';
import type { Run } from '../../core/run.ts';
import { LockstepError } from '../../errors.ts';
import type { Progress } from '../progress.ts';
import type { Recorder } from '../recorder.ts';
import type { OnFinished, StepRef } from '../types.ts';
import { compiledRefs, compiledWorker } from './compile.ts';
import { Dispatcher } from './dispatcher.ts';
import type { LiveMessage, PoolTask, WorkerData } from './protocol.ts';

export interface PoolOptions {
  jobs: number;
  isolate: 'threads' | 'processes';
  steps: StepRef[];
  config: Record<string, unknown>;
  failFast: boolean;
  retries: number;
  timeoutMs?: number;
  /** Fixed runs per task; by default the size adapts so that a task takes about 25 ms. */
  runsPerTask?: number;
  progress?: Progress | null;
  attempts: Map<string, number>;
  /** The step names (recorded as the steps a run completed). */
  names?: readonly string[];
  /** Runs that continue (new steps on a done run, its fields visible) instead of starting over. */
  continuing?: ReadonlySet<Run>;
  /** Where the workers' live reports go (the execution's recorder). */
  live?: Recorder | null;
  /** How often workers report the run they execute, in ms (default 1000). */
  liveMs?: number;
  /** Leaves a run out as it comes up (another process has it). */
  skip?: (run: Run) => boolean;
}

/**
 * The worker file: compiled JS in the package; in a checkout, the TypeScript
 * worker compiled once by the parent, or (when that cannot be done) a small
 * JS shim that loads it through tsx.
 */
async function entryUrl(): Promise<string> {
  if (!import.meta.url.endsWith('.ts')) return new URL('./worker.js', import.meta.url).href;
  return (
    (await compiledWorker(new URL('./worker.ts', import.meta.url))) ?? new URL('./dev-entry.mjs', import.meta.url).href
  );
}

/**
 * Executes runs on a tinypool of `jobs` worker threads or processes. Runs go
 * in batches sized from the measured run time, so 10^5 tiny runs are not
 * dominated by messaging; with a timeout each run is its own task, so that
 * aborting it terminates (and replaces) only the worker running it.
 * Returns true when `failFast` stopped the execution early.
 */
export async function executePool(runs: readonly Run[], o: PoolOptions, onFinished: OnFinished): Promise<boolean> {
  const pool = await RunPool.start(o);
  try {
    return await pool.execute(runs, onFinished);
  } finally {
    await pool.close();
  }
}

/** A started pool whose workers have loaded the steps; `lockstep worker` reuses one across claims. */
export class RunPool {
  private current: Dispatcher | null = null;
  /** Given to every task: a child process's own messages (its live reports) arrive here. */
  readonly runOptions: { channel?: { postMessage(m: unknown): void } } = {};

  private constructor(
    private readonly pool: Tinypool,
    private readonly o: PoolOptions,
    private readonly dataDir: string | undefined,
    private readonly channel: BroadcastChannel | null,
  ) {
    const onLive = (m: unknown) => {
      const u = (m as LiveMessage | null)?.lockstepLive;
      if (u) this.current?.onLive(u);
    };
    if (channel) channel.onmessage = (ev) => onLive((ev as MessageEvent).data);
    else this.runOptions.channel = { postMessage: onLive };
  }

  /** Starts the workers and loads the steps in each: a missing module or export fails here, before any run. */
  static async start(o: PoolOptions): Promise<RunPool> {
    const liveChannel = `lockstep-live-${randomUUID()}`;
    // TypeScript steps are compiled here once, not by tsx in every worker
    const [filename, workerSteps] = await Promise.all([entryUrl(), compiledRefs(o.steps)]);
    const workerData: WorkerData = { steps: workerSteps, config: o.config, liveMs: o.liveMs ?? 1000, liveChannel };
    const processes = o.isolate === 'processes';
    let dataDir: string | undefined;
    if (processes) {
      dataDir = mkdtempSync(join(tmpdir(), 'lockstep-pool-'));
      writeFileSync(join(dataDir, 'data'), serialize(workerData));
    }
    const pool = new Tinypool({
      filename,
      runtime: processes ? 'child_process' : 'worker_threads',
      execArgv: workerExecArgv([filename, ...workerSteps.map((s) => s.module)]),
      minThreads: o.jobs,
      maxThreads: o.jobs,
      idleTimeout: 30_000,
      ...(dataDir
        ? { serialization: 'advanced', env: { ...envStrings(), LOCKSTEP_WORKER_DATA: join(dataDir, 'data') } }
        : { workerData }),
    });
    const self = new RunPool(pool, o, dataDir, processes ? null : new BroadcastChannel(liveChannel));
    try {
      const checks = await Promise.all(
        Array.from({ length: o.jobs }, () => pool.run({ kind: 'check' } as PoolTask, self.runOptions)),
      );
      for (const c of checks) {
        if (c && typeof c === 'object' && 'error' in c) {
          throw new LockstepError(
            'E_INPUT',
            `the steps cannot be loaded in a worker: ${(c as { error: string }).error}`,
          );
        }
      }
    } catch (e) {
      await self.close();
      throw e;
    }
    return self;
  }

  /** Executes runs; resolves true when `failFast` stopped early. Live reports go to `live` (default: the pool's). */
  async execute(runs: readonly Run[], onFinished: OnFinished, live?: Partial<PoolOptions>): Promise<boolean> {
    const d = new Dispatcher(this.pool, runs, { ...this.o, ...live }, onFinished, this.runOptions);
    this.current = d;
    try {
      return await d.run();
    } finally {
      this.current = null;
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy();
    this.channel?.close();
    if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

const TS_MODULE = /\.(ts|mts|cts|tsx)$/;
const TSX_FLAG = /^--(import|loader|experimental-loader|require)$|^-r$/;

/**
 * Node's flags for the workers: the parent's own, less a TypeScript loader
 * (`--import tsx`, as a parent started by tsx has) when every module a worker
 * imports at start is JavaScript. tsx's hooks cost each worker about 100 ms
 * of start-up for nothing once the steps are compiled; a TypeScript module
 * imported later still loads, through tsx's API (tsLoader.ts).
 */
export function workerExecArgv(modules: readonly string[], execArgv = process.execArgv): string[] {
  if (modules.some((m) => TS_MODULE.test(new URL(m, 'file:///').pathname))) return [...execArgv];
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const flag = execArgv[i] as string;
    const eq = flag.indexOf('=');
    const [name, value] = eq > 0 ? [flag.slice(0, eq), flag.slice(eq + 1)] : [flag, execArgv[i + 1]];
    if (TSX_FLAG.test(name) && value !== undefined && /^tsx(\/|$)/.test(value)) {
      if (eq < 0) i++;
      continue;
    }
    out.push(flag);
  }
  return out;
}

function envStrings(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) out[k] = v;
  return out;
}
