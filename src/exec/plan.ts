import type { ExecutionMode, Run } from '../core/run.ts';

/**
 * What `execute(steps)` does with a run, "done" being per run and steps:
 * - `skip`: the run has completed every one of these steps (and `rerun` is off);
 * - `continue`: the run is done and these are new steps (MLtraq's workflow:
 *   load an experiment, execute another step): they run with the stored
 *   fields visible, and join the completed steps;
 * - `fresh`: anything else (never executed, failed, interrupted, or a
 *   pipeline that changed): every step runs from scratch.
 * With `rerun`, a run that completed these steps runs them again: as a
 * continuation when it also completed others (their fields stay), from
 * scratch otherwise. Runs stored before steps were recorded count as done for
 * any pipeline.
 */
export function executionMode(
  run: Pick<Run, 'status' | 'steps'>,
  steps: readonly string[],
  rerun: boolean,
): ExecutionMode | 'skip' {
  const done = run.steps;
  if (done === null) return run.status === 'done' && !rerun ? 'skip' : 'fresh';
  let covered = true;
  let disjoint = true;
  for (const s of steps) {
    if (done.includes(s)) disjoint = false;
    else covered = false;
  }
  if (covered) {
    if (!rerun) return 'skip';
    return done.every((s) => steps.includes(s)) ? 'fresh' : 'continue';
  }
  return disjoint && done.length > 0 ? 'continue' : 'fresh';
}
