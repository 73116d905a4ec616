import type { Command } from 'commander';
import { type CopyProgress, copyExperiments } from '../../copy/copy.ts';
import { createSession } from '../../session.ts';

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** `lockstep copy SRC DST`: experiments from one database (or server) to another. */
export function registerCopy(program: Command): void {
  program
    .command('copy <src> <dst>')
    .description(
      'copy experiments between databases (SQLite ↔ PostgreSQL, or from a server): runs, metrics, tags, locks, artifacts, registry; idempotent',
    )
    .option('--experiment <name>', 'copy this experiment (repeatable; default: every one)', collect)
    .option('--quiet', 'no progress lines')
    .option('--json', 'print the report as JSON')
    .action(async (src: string, dst: string, opts: { experiment?: string[]; quiet?: boolean; json?: boolean }) => {
      const from = await createSession(src, { remote: { outbox: false } });
      try {
        const to = await createSession(dst);
        try {
          let last = 0;
          const onProgress = (p: CopyProgress) => {
            if (opts.quiet) return;
            const now = Date.now();
            // every phase change, and a line a second at most while writing
            if (p.phase === 'writing' && p.runs > 0 && p.runs < p.total && now - last < 1000) return;
            last = now;
            process.stderr.write(`copy ${p.experiment}: ${p.phase}${p.total ? ` (${p.runs}/${p.total} runs)` : ''}\n`);
          };
          const reports = await copyExperiments(from, to, {
            ...(opts.experiment ? { experiments: opts.experiment } : {}),
            onProgress,
          });
          if (opts.json) {
            process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
            return;
          }
          for (const r of reports) {
            process.stdout.write(
              `${r.experiment}: ${r.created ? 'created' : 'merged'}; ${r.runs} run(s) copied, ${r.unchanged} already there, ` +
                `${r.keptNewer} newer in the destination; ${r.points} point(s), ${r.archivedPoints} archived, ${r.tags} tag(s), ` +
                `${r.locks} lock(s), ${r.artifacts} artifact(s) (${r.blobs} blob(s) moved), ${r.models} model version(s), ${r.datasets} dataset(s)\n`,
            );
            for (const n of r.notes) process.stdout.write(`  note: ${n}\n`);
          }
        } finally {
          await to.close();
        }
      } finally {
        await from.close();
      }
    });
}
