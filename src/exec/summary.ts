import type { Run } from '../core/run.ts';
import type { ExecuteSummary, RunFailure } from './types.ts';

/** Counts what an execution did; shared by every executor. */
export function summarise(
  total: number,
  todo: number,
  finished: readonly Run[],
  durationMs: number,
  attempts: ReadonlyMap<string, number> = new Map(),
): ExecuteSummary {
  let done = 0;
  let retried = 0;
  const failures: RunFailure[] = [];
  for (const run of finished) {
    const n = attempts.get(run.id) ?? 1;
    retried += n - 1;
    if (run.status === 'done') done++;
    else
      failures.push({ runId: run.id, params: run.params, message: run.error?.message ?? 'unknown error', attempts: n });
  }
  return {
    total,
    executed: finished.length,
    done,
    failed: failures.length,
    skipped: total - todo,
    notRun: todo - finished.length,
    retried,
    failures,
    durationMs,
  };
}
