import type { Command } from 'commander';
import { LockstepError } from '../../errors.ts';
import { filterCondition } from '../../search/index.ts';
import { createSession, type Session } from '../../session.ts';
import { toDisplay } from '../../store/display.ts';
import { summariseMetrics } from '../../store/metric-summary.ts';
import { RESERVED_COLUMNS, RUN_COLUMNS } from '../../store/names.ts';
import type { ExperimentRecord } from '../../store/store.ts';
import { formatRows, outputMode, printRows } from '../format.ts';
import { sqlValue } from '../sql-values.ts';

interface DbOption {
  db?: string;
}
interface FormatOptions {
  json?: boolean;
  csv?: boolean;
}

/** Opens the session named by --db (or the default), runs `fn`, always closes. */
export async function withSession<T>(opts: DbOption, fn: (session: Session) => Promise<T>): Promise<T> {
  const session = await createSession(opts.db);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}

const DB_HELP = 'database URL: a file path, sqlite:PATH or postgres://… (default: $LOCKSTEP_DB or ./lockstep.db)';

/** `ls`, `runs`, `show`, `sql`, `export`: the read side of the command line. */
export function registerRead(program: Command): void {
  program
    .command('ls')
    .description('list experiments with their run counts')
    .option('--db <url>', DB_HELP)
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .action(async (opts: DbOption & FormatOptions) => {
      await withSession(opts, async (session) => {
        const rows = (await session.listExperiments()).map((e) => ({ ...e, updated: e.updatedAt }));
        const mode = outputMode(opts);
        const cols =
          mode === 'table'
            ? ['name', 'runs', 'updated', 'description']
            : ['name', 'runs', 'createdAt', 'updatedAt', 'description', 'tableName', 'id'];
        printRows(rows, cols, mode);
      });
    });

  program
    .command('runs <experiment>')
    .description('list the runs of an experiment')
    .option('--db <url>', DB_HELP)
    .option('--where <sql>', 'a SQL condition on the run columns, e.g. "accuracy > 0.9 AND model = \'knn\'"')
    .option(
      '--filter <expr>',
      'a search filter (MLflow syntax with OR/NOT), e.g. "metrics.acc > 0.9 and params.model = \'knn\'"',
    )
    .option('--sort <column>', 'sort by a column; "-column" or "column:desc" for descending')
    .option('--limit <n>', 'show at most n runs', parsePositiveInt('--limit'))
    .option('--columns <list>', 'comma-separated columns to show')
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .action(async (name: string, opts: DbOption & FormatOptions & RunsOptions) => {
      await withSession(opts, async (session) => {
        const exp = await session.store.requireExperiment(name);
        const mode = outputMode(opts);
        const sort = parseSort(opts.sort);
        const where = await combineWhere(session, exp, opts.where, opts.filter);
        const rows = await session.store.queryRuns(exp, {
          ...(where ? { where } : {}),
          ...(sort ? { orderBy: sort.column, descending: sort.descending } : {}),
          ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
        });
        const columns = opts.columns ? chooseColumns(exp, opts.columns) : defaultColumns(exp, mode === 'table');
        if (mode === 'table') for (const r of rows) r.run_id = String(r.run_id).slice(0, 8);
        printRows(rows, columns, mode);
      });
    });

  program
    .command('show <experiment> <run>')
    .description('show one run: status, config, params, fields, error and metrics (a unique id prefix is enough)')
    .option('--db <url>', DB_HELP)
    .option('--json', 'print JSON')
    .action(async (name: string, runRef: string, opts: DbOption & FormatOptions) => {
      await withSession(opts, async (session) => {
        const exp = await session.store.requireExperiment(name);
        const id = await resolveRunId(session, exp, runRef);
        const [run] = await session.store.readRuns(exp, { runIds: [id] });
        if (!run) throw new LockstepError('E_NOT_FOUND', `run ${id} vanished while reading`);
        const metrics = await summariseMetrics(session.store.driver, exp.id, id);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(toDisplay({ ...run, metrics }), null, 2)}\n`);
          return;
        }
        const lines = [
          `run       ${run.id}`,
          `status    ${run.status}`,
          `started   ${run.startedAt?.toISOString() ?? '-'}`,
          `ended     ${run.endedAt?.toISOString() ?? '-'}`,
        ];
        if (run.error) lines.push(`error     ${run.error}`, ...(run.errorStack ? [indent(run.errorStack)] : []));
        for (const [title, values] of [
          ['config', run.config],
          ['params', run.params],
          ['fields', run.fields],
        ] as const) {
          lines.push('', title);
          const keys = Object.keys(values);
          if (keys.length === 0) lines.push('  (none)');
          for (const k of keys) lines.push(`  ${k}: ${JSON.stringify(toDisplay(values[k]))}`);
        }
        lines.push('', 'metrics');
        if (metrics.length === 0) lines.push('  (none)');
        else lines.push(indent(formatRows(metrics, ['key', 'points', 'last', 'min', 'max'], 'table').trimEnd()));
        process.stdout.write(`${lines.join('\n')}\n`);
      });
    });

  program
    .command('sql <statement> [values...]')
    .description('run SQL on the database, with values for its placeholders ("?" on SQLite, $1, $2 … on PostgreSQL)')
    .option('--db <url>', DB_HELP)
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .addHelpText(
      'after',
      '\nEach value is typed from its text: a number, true/false, null or a "quoted" string as JSON reads it;\n' +
        'any other text is a string. Example: lockstep sql "SELECT * FROM experiment_iris WHERE k > ? AND model = ?" 3 knn',
    )
    .action(async (statement: string, values: string[], opts: DbOption & FormatOptions) => {
      await withSession(opts, async (session) => {
        const params = values.map((v) => sqlValue(v, session.store.driver.dialect));
        const rows = await session.query(statement, params);
        const columns = rows[0] ? Object.keys(rows[0]) : [];
        printRows(rows, columns, outputMode(opts));
      });
    });

  program
    .command('export <experiment>')
    .description('export every run of an experiment')
    .option('--db <url>', DB_HELP)
    .requiredOption('--format <format>', 'csv or json')
    .action(async (name: string, opts: DbOption & { format: string }) => {
      if (opts.format !== 'csv' && opts.format !== 'json') {
        throw new LockstepError('E_INPUT', `--format must be csv or json, got "${opts.format}"`);
      }
      await withSession(opts, async (session) => {
        const exp = await session.store.requireExperiment(name);
        const rows = await session.store.queryRuns(exp, { orderBy: 'started_at' });
        printRows(rows, defaultColumns(exp, false), opts.format as 'csv' | 'json');
      });
    });
}

interface RunsOptions {
  where?: string;
  filter?: string;
  sort?: string;
  limit?: number;
  columns?: string;
}

function parsePositiveInt(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0)
      throw new LockstepError('E_INPUT', `${flag} must be a positive integer, got "${v}"`);
    return n;
  };
}

/** --where (raw SQL) and --filter (the search grammar, parameterised) together, joined by AND. */
async function combineWhere(session: Session, exp: ExperimentRecord, where?: string, filter?: string) {
  const parts: { sql: string; params: readonly unknown[] }[] = [];
  if (where) parts.push({ sql: where, params: [] });
  if (filter) parts.push(await filterCondition(session.store, exp, filter));
  if (parts.length === 0) return undefined;
  return { sql: parts.map((p) => `(${p.sql})`).join(' AND '), params: parts.flatMap((p) => p.params) };
}

export function parseSort(spec: string | undefined): { column: string; descending: boolean } | undefined {
  if (!spec) return undefined;
  if (spec.startsWith('-')) return { column: spec.slice(1), descending: true };
  const m = /^(.*):(asc|desc)$/i.exec(spec);
  if (m) return { column: m[1] as string, descending: (m[2] as string).toLowerCase() === 'desc' };
  return { column: spec, descending: false };
}

/** Tables show the params and fields; machine formats get every column. */
function defaultColumns(exp: ExperimentRecord, compact: boolean): string[] {
  const cols = Object.entries(exp.meta.columns);
  if (!compact) return [...RUN_COLUMNS.filter((c) => c !== 'params_key'), ...cols.map(([c]) => c)];
  return ['run_id', 'status', ...cols.filter(([, i]) => i.role !== 'config').map(([c]) => c)];
}

function chooseColumns(exp: ExperimentRecord, list: string): string[] {
  // the live-run columns (run_attempt, run_host, …) can be asked for; they are not shown by default
  const all = [...RESERVED_COLUMNS, ...Object.keys(exp.meta.columns)];
  return list
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean)
    .map((c) => {
      const hit = all.find((a) => a.toLowerCase() === c.toLowerCase());
      if (!hit) throw new LockstepError('E_INPUT', `unknown column "${c}" in --columns (columns: ${all.join(', ')})`);
      return hit;
    });
}

async function resolveRunId(session: Session, exp: ExperimentRecord, ref: string): Promise<string> {
  const rows = await session.store.driver.all<{ run_id: string }>(
    `SELECT run_id FROM "${exp.tableName.replaceAll('"', '""')}" WHERE run_id LIKE ? LIMIT 2`,
    [`${ref.replace(/[%_]/g, '')}%`],
  );
  if (rows.length === 0)
    throw new LockstepError('E_NOT_FOUND', `experiment "${exp.name}" has no run whose id starts with "${ref}"`);
  if (rows.length > 1)
    throw new LockstepError('E_INPUT', `run id prefix "${ref}" is ambiguous in "${exp.name}"; give more characters`);
  return (rows[0] as { run_id: string }).run_id;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
