import type { Dialect, Driver } from './driver.ts';
import { quoteId } from './driver.ts';
import type { Kind } from './kinds.ts';
import { indexName } from './names.ts';
import { exec, type Ops } from './ops.ts';

/** The experiment table layout this version writes: 2 added the live-run columns. */
export const LAYOUT = 2;

/** The live-run columns and their kinds, in table order. */
const LIFECYCLE: readonly [string, Kind][] = [
  ['run_attempt', 'bigint'],
  ['run_steps', 'string'],
  ['run_host', 'string'],
  ['run_pid', 'bigint'],
  ['run_executor', 'string'],
  ['run_lease_until', 'bigint'],
];

function lifecycleDdl(d: Dialect): string[] {
  return LIFECYCLE.map(([c, k]) => `${c} ${d.columnType(k)}${c === 'run_attempt' ? ' NOT NULL DEFAULT 0' : ''}`);
}

/** The statements that create an experiment's table (one row per run) and its indexes. */
export function experimentTableDdl(d: Dialect, tableName: string): string[] {
  const t = quoteId(tableName);
  return [
    `CREATE TABLE ${t} (
      run_id TEXT PRIMARY KEY,
      status TEXT NOT NULL,
      started_at ${d.columnType('date')},
      ended_at ${d.columnType('date')},
      error TEXT,
      error_stack TEXT,
      params_key TEXT NOT NULL,
      ${lifecycleDdl(d).join(',\n      ')}
    )`,
    `CREATE INDEX ${quoteId(indexName(tableName, 'params_key'))} ON ${t} (params_key)`,
    `CREATE INDEX ${quoteId(indexName(tableName, 'status'))} ON ${t} (status)`,
  ];
}

/**
 * Brings a table of an older layout up to date inside the caller's
 * transaction: adds the live-run columns. Answers whether it changed anything.
 */
export function* upgradeExperimentTable(d: Dialect, tableName: string, layout: number | undefined): Ops<boolean> {
  if ((layout ?? 1) >= LAYOUT) return false;
  const t = quoteId(tableName);
  for (const ddl of lifecycleDdl(d)) yield* exec(`ALTER TABLE ${t} ADD COLUMN ${ddl}`);
  yield* exec(`CREATE INDEX IF NOT EXISTS ${quoteId(indexName(tableName, 'status'))} ON ${t} (status)`);
  return true;
}

/** A table of metric points. */
function pointsTable(d: Dialect, name: string, attempt: string): string {
  return `CREATE TABLE IF NOT EXISTS ${name} (
      experiment_id TEXT NOT NULL,
      run_id TEXT NOT NULL,
      key TEXT NOT NULL,
      step ${d.columnType('bigint')} NOT NULL,
      "timestamp" ${d.columnType('bigint')} NOT NULL,
      value ${d.columnType('number')},
      attempt ${d.columnType('bigint')} ${attempt}
    )`;
}

/** The tables every database has: experiments, the current metric points and earlier attempts' points. */
export async function createSharedTables(driver: Driver): Promise<void> {
  const t = (k: Kind) => driver.dialect.columnType(k);
  await driver.transaction(async (tx) => {
    await tx.exec(`CREATE TABLE IF NOT EXISTS experiments (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      table_name TEXT NOT NULL UNIQUE,
      description TEXT,
      created_at ${t('date')} NOT NULL,
      updated_at ${t('date')} NOT NULL,
      fields ${t('json')} NOT NULL,
      meta ${t('json')} NOT NULL
    )`);
    // `metrics` holds each run's current attempt, `metrics_archive` the points of earlier ones
    await tx.exec(pointsTable(driver.dialect, 'metrics', 'NOT NULL DEFAULT 1'));
    // Covering (time and value included): a chart's downsampling and a run's latest values read the
    // index alone. It replaces metrics_run_key (experiment_id, run_id, key, step) of older databases.
    await tx.exec(
      'CREATE INDEX IF NOT EXISTS metrics_series ON metrics (experiment_id, run_id, key, step, "timestamp", value)',
    );
    await tx.exec('DROP INDEX IF EXISTS metrics_run_key');
    await tx.exec(pointsTable(driver.dialect, 'metrics_archive', 'NOT NULL'));
    await tx.exec(
      'CREATE INDEX IF NOT EXISTS metrics_archive_run ON metrics_archive (experiment_id, run_id, attempt, key, step)',
    );
    // the executions of experiments running now (several processes share a sweep through it)
    await tx.exec(`CREATE TABLE IF NOT EXISTS executions (
      id TEXT PRIMARY KEY,
      experiment_id TEXT NOT NULL,
      host TEXT NOT NULL,
      pid ${t('bigint')} NOT NULL,
      lease_until ${t('bigint')} NOT NULL
    )`);
  });
  // Databases made before attempts existed: their metrics table lacks the column.
  try {
    await driver.all('SELECT attempt FROM metrics LIMIT 0');
  } catch {
    try {
      await driver.exec(`ALTER TABLE metrics ADD COLUMN attempt ${t('bigint')} NOT NULL DEFAULT 1`);
    } catch (e) {
      // another process added it meanwhile
      await driver.all('SELECT attempt FROM metrics LIMIT 0').catch(() => Promise.reject(e));
    }
  }
}
