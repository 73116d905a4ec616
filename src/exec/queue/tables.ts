import type { Driver } from '../../store/driver.ts';

/**
 * The run queue shared by `lockstep worker` processes and Slurm array tasks:
 * one row per run to execute (its claim, lease and attempts), and one spec per
 * submission (the steps as module references, the config, the options). A
 * queue row names its spec, so a worker still alive from an earlier
 * submission executes new runs with the new steps and config, never its own.
 * Plain SQL written once; the only dialect difference is the row-locking
 * clause below.
 */
export const QUEUE = 'exec_queue';
export const SPECS = 'exec_specs';

/** PostgreSQL skips rows another worker is claiming; SQLite serialises writers, so a plain UPDATE is already atomic. */
export const SKIP_LOCKED: Record<Driver['dialect']['name'], string> = {
  postgres: ' FOR UPDATE SKIP LOCKED',
  sqlite: '',
};

const created = new WeakSet<Driver>();

export async function ensureQueueTables(driver: Driver): Promise<void> {
  if (created.has(driver)) return;
  const big = driver.dialect.columnType('bigint');
  const ddl = async () => {
    await driver.exec(`CREATE TABLE IF NOT EXISTS ${QUEUE} (
      experiment_id TEXT NOT NULL,
      run_id TEXT NOT NULL,
      spec_id TEXT NOT NULL,
      seq ${big} NOT NULL,
      state TEXT NOT NULL,
      worker TEXT,
      lease_until ${big},
      attempts ${big} NOT NULL,
      max_attempts ${big} NOT NULL,
      PRIMARY KEY (experiment_id, run_id)
    )`);
    await driver.exec(`CREATE INDEX IF NOT EXISTS ${QUEUE}_state ON ${QUEUE} (experiment_id, state, seq)`);
    await driver.exec(`CREATE TABLE IF NOT EXISTS ${SPECS} (
      spec_id TEXT PRIMARY KEY,
      experiment_id TEXT NOT NULL,
      spec TEXT NOT NULL,
      config ${driver.dialect.columnType('binary')} NOT NULL,
      updated_at ${big} NOT NULL
    )`);
  };
  try {
    await ddl();
  } catch {
    // Two processes creating the tables at once on PostgreSQL: one loses a race on the catalog; the tables exist now.
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 200));
    await ddl();
  }
  created.add(driver);
}
