import { join } from 'node:path';
import type { Run } from '../core/run.ts';
import { Freshness } from '../lock/fresh.ts';

/** A task that ran before but is not done any more, and why. */
export interface Stale {
  run: Run;
  reasons: string[];
}

/**
 * `--resume`: a stored `done` run stays done only when its run.lock still
 * matches what it would use now: the same config, the same content of every
 * tracked data path, the same code, and the very locks of its previous
 * stages. The others are marked to execute again from scratch (their stored
 * steps cleared). A run without an output directory has no lock to compare:
 * its config (its identity) decides, as for any stored run.
 */
export async function staleRuns(
  tasks: readonly { run: Run; config: Record<string, unknown>; outDir: string | null }[],
  expected: { data: readonly string[]; prevs: readonly string[]; exclude: readonly string[] },
): Promise<Stale[]> {
  const fresh = new Freshness({ exclude: expected.exclude });
  const stale: Stale[] = [];
  try {
    for (const { run, config, outDir } of tasks) {
      if (run.status !== 'done' || !outDir) continue;
      const lockPath = typeof run.fields.lock_path === 'string' ? run.fields.lock_path : join(outDir, 'run.lock');
      const reasons = await fresh.reasons(lockPath, {
        ...(typeof run.fields.lock_id === 'string' ? { id: run.fields.lock_id } : {}),
        config,
        data: expected.data,
        prevs: expected.prevs,
      });
      if (reasons.length === 0) continue;
      run.steps = []; // not done for these steps any more: execute from scratch
      stale.push({ run, reasons });
    }
  } finally {
    fresh.close();
  }
  return stale;
}

/** Whether the sweep's own lock can stay (its tasks' `parent`): same config and grid, data, code and stages. */
export async function sweepLockFresh(
  dir: string,
  config: Record<string, unknown>,
  expected: { data: readonly string[]; prevs: readonly string[]; exclude: readonly string[] },
): Promise<boolean> {
  const fresh = new Freshness({ exclude: expected.exclude });
  try {
    return (await fresh.reasons(dir, { config, data: expected.data, prevs: expected.prevs })).length === 0;
  } finally {
    fresh.close();
  }
}
