import type { ExecutionMode, Run } from '../core/run.ts';
import { LockstepError } from '../errors.ts';
import type { Progress } from './progress.ts';
import type { OnFinished, Step } from './types.ts';

/** Runs one run's steps in this thread; a throw marks the run failed. */
export async function executeRun(
  run: Run,
  steps: readonly Step[],
  config: Record<string, unknown>,
  timeoutMs?: number,
  how: How = FRESH,
): Promise<void> {
  const pending = startRun(run, steps, config, timeoutMs, how);
  if (pending) await pending;
}

/** How to begin a run: from scratch or as a continuation, with the names of the steps. */
export interface How {
  mode: ExecutionMode;
  names: readonly string[];
  /** Called right after the run began (the recorder starts writing it live). */
  started?: (run: Run) => void;
}

const FRESH: How = { mode: 'fresh', names: [] };

/**
 * Runs the steps synchronously for as long as they are synchronous, and
 * returns a promise only when a step returned one: 10^4 tiny runs then cost
 * no promise, no microtask and no await each.
 */
export function startRun(
  run: Run,
  steps: readonly Step[],
  config: Record<string, unknown>,
  timeoutMs?: number,
  how: How = FRESH,
): Promise<void> | undefined {
  run.begin(config, how.mode, how.names);
  how.started?.(run);
  for (let i = 0; i < steps.length; i++) {
    let out: void | Promise<void>;
    try {
      out = (steps[i] as Step)(run);
    } catch (e) {
      fail(run, e);
      return undefined;
    }
    if (out !== undefined && typeof (out as Promise<void>).then === 'function') {
      return continueAsync(run, steps, i, out as Promise<void>, timeoutMs);
    }
  }
  run.finish();
  return undefined;
}

async function continueAsync(
  run: Run,
  steps: readonly Step[],
  from: number,
  first: Promise<void>,
  timeoutMs?: number,
): Promise<void> {
  try {
    await (timeoutMs ? withTimeout(first, timeoutMs) : first);
    for (let i = from + 1; i < steps.length; i++) {
      const out = (steps[i] as Step)(run);
      if (out !== undefined && typeof (out as Promise<void>).then === 'function') {
        await (timeoutMs ? withTimeout(out as Promise<void>, timeoutMs) : out);
      }
    }
    run.finish();
  } catch (e) {
    fail(run, e);
  }
}

function fail(run: Run, e: unknown): void {
  run.finish(e === undefined ? new Error('a step threw undefined') : e);
}

/** A step still running after `ms` fails its run; inline, only an awaiting step can be interrupted. */
function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError(ms)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

export function timeoutError(ms: number): LockstepError {
  return new LockstepError('E_RUN', `timed out after ${ms} ms`, { details: { timeoutMs: ms } });
}

export interface InlineOptions {
  failFast: boolean;
  retries: number;
  timeoutMs?: number;
  progress?: Progress | null;
  /** Attempts per run id, filled in for the summary. */
  attempts?: Map<string, number>;
  /** The step names, and the runs that continue instead of starting over. */
  names: readonly string[];
  continuing?: ReadonlySet<Run>;
  started?: (run: Run) => void;
  /** Leaves a run out as it comes up (another process has it). */
  skip?: (run: Run) => boolean;
}

/** Executes runs one after another in this thread. Returns true when `failFast` stopped it early. */
export async function executeInline(
  runs: readonly Run[],
  steps: readonly Step[],
  config: Record<string, unknown>,
  options: InlineOptions,
  onFinished: OnFinished,
): Promise<boolean> {
  const { failFast, retries, timeoutMs, progress, attempts, names, continuing, started, skip } = options;
  const fresh: How = { mode: 'fresh', names, ...(started ? { started } : {}) };
  const cont: How = { ...fresh, mode: 'continue' };
  for (const run of runs) {
    if (skip?.(run)) continue;
    const how = continuing?.has(run) ? cont : fresh;
    const pending = startRun(run, steps, config, timeoutMs, how);
    if (pending) await pending;
    if (retries > 0 && run.status === 'failed') {
      let n = 1;
      while (n <= retries && run.status === 'failed') {
        n++;
        await executeRun(run, steps, config, timeoutMs, how);
      }
      attempts?.set(run.id, n);
    }
    const out = onFinished(run);
    if (out !== undefined) await out;
    progress?.tick(run.status === 'failed');
    if (failFast && run.status === 'failed') return true;
  }
  return false;
}
