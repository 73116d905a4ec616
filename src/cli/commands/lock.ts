import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { LockstepError } from '../../errors.ts';
import { diffFiles, diffLocks } from '../../lock/diff.ts';
import { lock } from '../../lock/lock.ts';
import { listLocks } from '../../lock/records.ts';
import { lineage, resolveLock } from '../../lock/resolve.ts';
import { verifyLock } from '../../lock/verify.ts';
import { createSession, type Session } from '../../session.ts';
import { defaultUrl } from '../../store/open.ts';
import { outputMode, printRows } from '../format.ts';

const DB_HELP = 'database URL (default: $LOCKSTEP_DB or ./lockstep.db)';
const collect = (v: string, prev: string[] = []) => [...prev, v];

/**
 * Runs `fn` with a session when a database is named or exists, else without:
 * reading a run.lock file must not create ./lockstep.db as a side effect.
 */
async function maybeSession<T>(db: string | undefined, fn: (s: Session | undefined) => Promise<T>): Promise<T> {
  const url = db ?? defaultUrl();
  if (!db && !process.env.LOCKSTEP_DB && !existsSync(url)) return fn(undefined);
  const session = await createSession(url);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}

/** `lock verify|create|ls`, `diff`, `lineage`: run locks from the command line. */
export function registerLock(program: Command): void {
  const group = program.command('lock').description('run locks: verify, create and list run.lock records');

  group
    .command('verify [path]')
    .description('check that code, data and environment still match a run.lock (exit 1 and a list when they drift)')
    .option('--root <dir>', 'resolve the lock’s relative paths from this directory (a pulled checkout)')
    .option('--json', 'print the report as JSON')
    .action(async (path: string | undefined, opts: { root?: string; json?: boolean }) => {
      const report = await verifyLock(path ?? '.', opts.root ? { root: opts.root } : {});
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else {
        for (const d of report.drift) {
          process.stdout.write(
            `drift  ${d.section.padEnd(4)}  ${d.item}\n  locked: ${d.expected}\n  now:    ${d.actual}\n`,
          );
        }
        for (const n of report.notes)
          process.stdout.write(`note   ${n.section}  ${n.item}: ${n.expected} -> ${n.actual}\n`);
        if (report.ok) process.stdout.write(`ok: ${report.file} matches (code, data, environment)\n`);
      }
      if (!report.ok) {
        throw new LockstepError('E_RUN', `${report.drift.length} item(s) drifted from ${report.file}`);
      }
    });

  group
    .command('create <path>')
    .description('write a run.lock for an output directory (for shell pipelines)')
    .option('--data <path>', 'a data file or directory to hash (repeatable)', collect)
    .option('--prev <path>', 'the run.lock (or directory) of a previous stage (repeatable)', collect)
    .option('--repo <path>', 'a code repository (repeatable; default: the current one)', collect)
    .option('--config <file>', 'a YAML or JSON file with the resolved config')
    .option('--name <name>', 'a name for the run')
    .option('--db <url>', DB_HELP)
    .action(async (path: string, opts: Record<string, string | string[] | undefined>) => {
      const configFile = opts.config as string | undefined;
      if (configFile && !existsSync(configFile)) throw new LockstepError('E_INPUT', `--config: no file ${configFile}`);
      const out = await lock({
        path,
        ...(configFile ? { config: parseYaml(readFileSync(configFile, 'utf8')) ?? {} } : {}),
        ...(opts.data ? { data: opts.data as string[] } : {}),
        ...(opts.prev ? { prevs: opts.prev as string[] } : {}),
        ...(opts.repo ? { repos: opts.repo as string[] } : {}),
        ...(opts.name ? { name: opts.name as string } : {}),
        ...(opts.db ? { store: opts.db as string } : {}),
      });
      process.stdout.write(`${out.file} (${out.lock.id})\n`);
    });

  group
    .command('ls')
    .description('list lock records (active ones: the newest of each output directory)')
    .option('--all', 'include superseded records')
    .option('--db <url>', DB_HELP)
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .action(async (opts: { all?: boolean; db?: string; json?: boolean; csv?: boolean }) => {
      const session = await createSession(opts.db);
      try {
        const recs = await listLocks(session.store.driver, { all: opts.all ?? false });
        const rows = recs.map((r) => ({
          id: r.id,
          name: r.name,
          dir: r.runDir,
          active: r.active,
          created: r.createdAt,
          dirty: r.lock.repos.some((x) => x.dirty),
        }));
        printRows(rows, ['id', 'name', 'dir', 'active', 'created', 'dirty'], outputMode(opts));
      } finally {
        await session.close();
      }
    });

  program
    .command('diff <a> <b>')
    .description('compare two run locks (paths, directories or ids): config, code, data, environment, lineage')
    .option('--db <url>', DB_HELP)
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .action(async (a: string, b: string, opts: { db?: string; json?: boolean; csv?: boolean }) => {
      await maybeSession(opts.db, async (session) => {
        const la = await resolveLock(a, session);
        const lb = await resolveLock(b, session);
        const rows: { section: string; key: string; a: string; b: string }[] = diffLocks(la.lock, lb.lock).map((r) => ({
          ...r,
          a: r.a ?? '(absent)',
          b: r.b ?? '(absent)',
        }));
        // which files differ, not only that the trees do (git diff between the commits each lock ran)
        const files = await diffFiles(la.lock, lb.lock);
        for (const f of files.changes) {
          const change = f.added === null ? 'binary' : `+${f.added} -${f.deleted}`;
          rows.push({ section: 'files', key: f.repo === '.' ? f.path : `${f.repo}/${f.path}`, a: '', b: change });
        }
        for (const repo of files.unknown)
          rows.push({ section: 'files', key: repo, a: '(a commit is not in this clone)', b: '' });
        if (rows.length === 0 && !opts.json) process.stdout.write('no differences\n');
        else printRows(rows, ['section', 'key', 'a', 'b'], outputMode(opts));
      });
    });

  program
    .command('lineage <run>')
    .description('show the ancestors of a run lock (a path, directory or id): previous stages, recursively')
    .option('--db <url>', DB_HELP)
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { db?: string; json?: boolean }) => {
      await maybeSession(opts.db, async (session) => {
        const nodes = await lineage(ref, session);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(nodes, null, 2)}\n`);
          return;
        }
        const byId = new Map(nodes.map((n) => [n.id, n]));
        const seen = new Set<string>();
        const print = (id: string, depth: number, via: string) => {
          const n = byId.get(id);
          if (!n) return;
          const label = `${n.name ?? n.dir} ${n.id.slice(0, 8)}${n.missing ? ' (lock not found)' : ''}${via}`;
          process.stdout.write(`${'  '.repeat(depth)}${depth ? '└─ ' : ''}${label}\n`);
          if (seen.has(id)) return;
          seen.add(id);
          for (const p of n.prevs) print(p, depth + 1, '');
          if (n.parent) print(n.parent, depth + 1, ' [parent]');
        };
        print(nodes[0]?.id ?? '', 0, '');
      });
    });
}
