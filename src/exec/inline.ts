import type { Run } from '../core/run.ts';
import { LockstepError } from '../errors.ts';
import type { Progress } from './progress.ts';
import type { OnFinished, Step } from './types.ts';

/** Runs one run's steps in this thread; a throw marks the run failed. */
export async function executeRun(
  run: Run,
  steps: readonly Step[],
  config: Record<string, unknown>,
  timeoutMs?: number,
): Promise<void> {
  run.begin(config);
  try {
    for (const step of steps) {
      const out = step(run);
      // Awaiting only real promises keeps tiny synchronous steps cheap.
      if (out !== undefined && typeof (out as Promise<void>).then === 'function') {
        await (timeoutMs ? withTimeout(out as Promise<void>, timeoutMs) : out);
      }
    }
    run.finish();
  } catch (e) {
    run.finish(e === undefined ? new Error('a step threw undefined') : e);
  }
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
}

/** Executes runs one after another in this thread. Returns true when `failFast` stopped it early. */
export async function executeInline(
  runs: readonly Run[],
  steps: readonly Step[],
  config: Record<string, unknown>,
  options: InlineOptions,
  onFinished: OnFinished,
): Promise<boolean> {
  const { failFast, retries, timeoutMs, progress, attempts } = options;
  for (const run of runs) {
    await executeRun(run, steps, config, timeoutMs);
    if (retries > 0 && run.status === 'failed') {
      let n = 1;
      while (n <= retries && run.status === 'failed') {
        n++;
        await executeRun(run, steps, config, timeoutMs);
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
