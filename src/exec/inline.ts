import type { Run } from '../core/run.ts';
import type { OnFinished, Step } from './types.ts';

/** Runs one run's steps in this thread; a throw marks the run failed. */
export async function executeRun(run: Run, steps: readonly Step[], config: Record<string, unknown>): Promise<void> {
  run.begin(config);
  try {
    for (const step of steps) {
      const out = step(run);
      // Awaiting only real promises keeps tiny synchronous steps cheap.
      if (out !== undefined && typeof (out as Promise<void>).then === 'function') await out;
    }
    run.finish();
  } catch (e) {
    run.finish(e === undefined ? new Error('a step threw undefined') : e);
  }
}

/** Executes runs one after another in this thread. Returns true when `failFast` stopped it early. */
export async function executeInline(
  runs: readonly Run[],
  steps: readonly Step[],
  config: Record<string, unknown>,
  failFast: boolean,
  onFinished: OnFinished,
): Promise<boolean> {
  for (const run of runs) {
    await executeRun(run, steps, config);
    const out = onFinished(run);
    if (out !== undefined) await out;
    if (failFast && run.status === 'failed') return true;
  }
  return false;
}
