import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { outputMode, printRows } from '../format.ts';
import { withSession } from './read.ts';

const DB_HELP = 'database URL (default: $LOCKSTEP_DB or ./lockstep.db)';

interface Opts {
  db?: string;
  json?: boolean;
  csv?: boolean;
}

/** `artifacts`: list a run's artifacts and download them by name. */
export function registerArtifacts(program: Command): void {
  const artifacts = program.command('artifacts').description("a run's artifacts: list, get");

  artifacts
    .command('list <run>', { isDefault: true })
    .description('list the artifacts of a run (id or unique prefix) with size and digest')
    .option('--db <url>', DB_HELP)
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .action(async (run: string, opts: Opts) => {
      await withSession(opts, async (session) => {
        const id = await session.artifacts.resolveRun(run);
        const rows = (await session.artifacts.list(id)).map((a) => ({
          ...a,
          files: a.fileCount,
          created: a.createdAt,
        }));
        printRows(rows, ['name', 'kind', 'size', 'files', 'digest', 'created'], outputMode(opts));
      });
    });

  artifacts
    .command('get <run> <name> [dest]')
    .description('download an artifact (a file, or a directory tree) to dest (default: ./<name>)')
    .option('--db <url>', DB_HELP)
    .action(async (run: string, name: string, dest: string | undefined, opts: Opts) => {
      await withSession(opts, async (session) => {
        const id = await session.artifacts.resolveRun(run);
        const path = await session.artifacts.download(id, name, resolve(dest ?? basename(name)));
        process.stdout.write(`${path}\n`);
      });
    });
}
