import { gcLocks, type LockGcReport } from '../../lock/gc.ts';
import { gitMaybe } from '../../lock/git.ts';
import type { Session } from '../../session.ts';

/** The run-lock half of `lockstep gc`: private refs (and, with --run-dirs, run directories) no tag reaches. */
export async function gcLocksHere(
  session: Session,
  opts: { dryRun?: boolean; runDirs?: boolean },
): Promise<LockGcReport | null> {
  // Outside a git repository there are no private refs to collect.
  if (!(await gitMaybe(process.cwd(), ['rev-parse', '--show-toplevel']))) return null;
  return gcLocks({ session, dryRun: opts.dryRun ?? false, runDirs: opts.runDirs ?? false });
}

export function printLockGc(r: LockGcReport): void {
  const verb = r.dryRun ? 'would remove' : 'removed';
  for (const d of r.decisions) {
    if (d.keep && !r.dryRun) continue;
    process.stdout.write(`${d.keep ? 'keep  ' : verb} ${d.item}  (${d.reason})\n`);
  }
  process.stdout.write(
    `run locks (${r.repo}): ${verb} ${r.refs.length} private ref(s) and ${r.runDirs.length} run dir(s); kept ${r.kept} ref(s) that a tag, an active run or a lineage reaches\n`,
  );
}
