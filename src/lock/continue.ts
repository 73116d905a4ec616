import type { Run } from '../core/run.ts';
import { LockstepError } from '../errors.ts';
import type { ExecuteOptions, Steps } from '../exec/types.ts';
import type { Session } from '../session.ts';
import { quoteId } from '../store/driver.ts';
import { type RunLock, readLock } from './format.ts';
import { withStore } from './lock.ts';

/** The experiment and run that wrote a lock: recorded in the lock, else found by the run's `lock_id` field. */
async function runOf(session: Session, lock: RunLock): Promise<{ experiment: string; id: string } | undefined> {
  if (lock.run) return lock.run;
  for (const e of await session.store.listExperiments()) {
    if (!Object.values(e.meta.columns).some((c) => c.key === 'lock_id')) continue;
    const col = Object.entries(e.meta.columns).find(([, c]) => c.key === 'lock_id')?.[0] as string;
    const rows = await session.store.driver.all<{ run_id: string }>(
      `SELECT run_id FROM ${quoteId(e.tableName)} WHERE ${quoteId(col)} = ?`,
      [lock.id],
    );
    if (rows[0]) return { experiment: e.name, id: rows[0].run_id };
  }
  return undefined;
}

/**
 * Runs new steps on the tracked run whose outputs a directory holds, without
 * running it again: FlexLock's `mlflow_lock` pattern (add diagnostics,
 * plots or metrics to a finished training later). The steps see the run's
 * stored fields and config, add fields and metric series to the same run,
 * and the directory's run.lock stays the training's. Running the same steps
 * again replaces what they logged before (earlier points are archived).
 *
 * @example
 * ```ts
 * import { continueRun } from 'lockstep';
 * await continueRun('results/train', async (run) => {
 *   const preds = JSON.parse(readFileSync('results/train/preds.json', 'utf8'));
 *   run.fields.f1 = f1(preds);
 *   run.log('calibration', ece(preds));
 * });
 * ```
 */
export async function continueRun(
  path: string,
  steps: Steps,
  options: { session?: Session | string } & Pick<ExecuteOptions, 'quiet' | 'progress'> = {},
): Promise<Run> {
  const { lock, file } = readLock(path);
  return withStore(options.session, async (session) => {
    const found = await runOf(session, lock);
    if (!found)
      throw new LockstepError(
        'E_NOT_FOUND',
        `no tracked run wrote ${file} (its lock ${lock.id} is in no experiment of ${session.url}); was it made by \`lockstep lock create\`?`,
      );
    const exp = await session.loadExperiment(found.experiment);
    const run = exp.runs.get(found.id);
    if (!run)
      throw new LockstepError('E_NOT_FOUND', `run ${found.id} of ${found.experiment} (which wrote ${file}) is gone`);
    exp.runs.remove(new Set(exp.runs.map((r) => r.id).filter((id) => id !== run.id)));
    const summary = await exp.execute(steps, {
      rerun: true,
      quiet: options.quiet ?? true,
      ...(options.progress === undefined ? {} : { progress: options.progress }),
    });
    if (summary.failed)
      throw run.error ? new LockstepError('E_RUN', run.error.message) : new LockstepError('E_RUN', 'the steps failed');
    return run;
  });
}
