import type { Command } from 'commander';
import { outputMode, printRows } from '../format.ts';
import { withSession } from './read.ts';

const DB_HELP = 'database URL (default: $LOCKSTEP_DB or ./lockstep.db)';

interface Opts {
  db?: string;
  json?: boolean;
  csv?: boolean;
}

/** `datasets`: list, register and show registered datasets. */
export function registerDatasets(program: Command): void {
  const datasets = program.command('datasets').description('registered datasets: list, register, show');

  datasets
    .command('list [name]', { isDefault: true })
    .description('list dataset versions (all, or those of one name)')
    .option('--db <url>', DB_HELP)
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .action(async (name: string | undefined, opts: Opts) => {
      await withSession(opts, async (session) => {
        const rows = (await session.datasets.list(name)).map((d) => ({
          ...d,
          digest: opts.json ? d.digest : d.digest.slice(0, 12),
          files: d.fileCount,
          created: d.createdAt,
        }));
        const cols = opts.json
          ? ['name', 'version', 'kind', 'digest', 'size', 'files', 'source', 'schema', 'created']
          : ['name', 'version', 'kind', 'digest', 'size', 'files', 'source', 'created'];
        printRows(rows, cols, outputMode(opts));
      });
    });

  datasets
    .command('register <name> <path>')
    .description('register a file or directory as a new dataset version (unchanged content keeps its version)')
    .option('--db <url>', DB_HELP)
    .option('--version <v>', 'version label (default: the next integer)')
    .option('--source <text>', 'where the data came from')
    .action(async (name: string, path: string, opts: Opts & { version?: string; source?: string }) => {
      await withSession(opts, async (session) => {
        const d = await session.registerDataset(name, path, { version: opts.version, source: opts.source });
        process.stdout.write(`${d.name}@${d.version}  ${d.digest}  ${d.size} bytes, ${d.fileCount} file(s)\n`);
      });
    });

  datasets
    .command('delete <name> <version>')
    .description('delete a dataset version; gc frees its files')
    .option('--db <url>', DB_HELP)
    .action(async (name: string, version: string, opts: Opts) => {
      await withSession(opts, async (session) => {
        await session.datasets.delete(name, version);
        process.stdout.write(`deleted ${name}@${version}\n`);
      });
    });

  datasets
    .command('show <name> [version]')
    .description('show one dataset version: digest, files and inferred schema')
    .option('--db <url>', DB_HELP)
    .action(async (name: string, version: string | undefined, opts: Opts) => {
      await withSession(opts, async (session) => {
        const d = await session.datasets.get(name, version);
        process.stdout.write(`${JSON.stringify(d, null, 2)}\n`);
      });
    });
}
