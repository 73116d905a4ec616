import type { Command } from 'commander';
import { LockstepError } from '../../errors.ts';
import { pinnedRuns } from '../../lock/gc.ts';
import { gcLocksHere, printLockGc } from './gcLocks.ts';
import { withSession } from './read.ts';

interface GcOpts {
  runDirs?: boolean;
  db?: string;
  dryRun?: boolean;
  grace?: string;
  json?: boolean;
}

/** Kept items a dry run lists before summing up the rest. */
const SHOWN = 50;

function human(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

/** `gc`: removes blobs that no artifact, dataset or model version references. */
export function registerGc(program: Command): void {
  program
    .command('gc')
    .description(
      'remove unreferenced blobs, private refs of code captures and (--run-dirs) run directories; --dry-run says why each stays or goes',
    )
    .option('--db <url>', 'database URL (default: $LOCKSTEP_DB or ./lockstep.db)')
    .option('--dry-run', 'report what would be removed, remove nothing')
    .option('--grace <minutes>', 'keep unreferenced blobs younger than this (a run may still be writing)', '10')
    .option(
      '--run-dirs',
      'also remove the output directories of runs nothing refers to: no tag, model, dataset, active run or lineage (docs/run-locks.md)',
    )
    .option('--json', 'print the report as JSON')
    .action(async (opts: GcOpts) => {
      const grace = Number(opts.grace);
      if (!Number.isFinite(grace) || grace < 0) {
        throw new LockstepError('E_INPUT', `--grace: expected a number of minutes >= 0, got "${opts.grace}"`);
      }
      await withSession(opts, async (session) => {
        // run locks first: the runs they keep keep their artifacts too
        const locks = await gcLocksHere(session, opts);
        const report = await session.artifactHub.gc({
          dryRun: opts.dryRun ?? false,
          graceMs: grace * 60_000,
          // outside a git repository there are no tags, but active locks, models and datasets still keep their runs
          keepRuns: locks ? locks.runs : await pinnedRuns(session),
        });
        if (opts.json) {
          const lockJson = locks ? { ...locks, runs: Object.fromEntries(locks.runs) } : null;
          process.stdout.write(`${JSON.stringify({ blobs: report, locks: lockJson }, null, 2)}\n`);
          return;
        }
        if (locks) printLockGc(locks);
        const verb = report.dryRun ? 'would remove' : 'removed';
        if (report.dryRun) {
          for (const k of report.kept.slice(0, SHOWN)) process.stdout.write(`keep   ${k.digest}  (${k.reason})\n`);
          if (report.kept.length > SHOWN)
            process.stdout.write(`keep   … ${report.kept.length - SHOWN} more blob(s) (--json lists every one)\n`);
        }
        for (const b of report.removed)
          process.stdout.write(`${verb} ${b.digest}  ${human(b.size)}  (nothing references it)\n`);
        process.stdout.write(
          `blobs (${report.location}): ${report.scanned} scanned, ${report.referenced} referenced` +
            `${report.sharedWith ? ` (${report.sharedWith} by another database sharing the store)` : ''}, ` +
            `${report.orphanArtifacts} artifact(s) of deleted runs ${report.dryRun ? 'to drop' : 'dropped'}` +
            `${report.pinnedArtifacts ? ` (${report.pinnedArtifacts} kept: a tag, lock, model or lineage holds their run)` : ''}, ` +
            `${report.young} too recent to remove; ${verb} ${report.removed.length}, ` +
            `${report.dryRun ? 'would free' : 'freed'} ${human(report.freedBytes)}\n`,
        );
      });
    });
}
