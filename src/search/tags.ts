import type { Driver } from '../store/driver.ts';

/**
 * Run tags: free-form string key/values per run (MLflow's tags, and any
 * label a user wants to search on). They live in their own table rather than
 * in experiment columns because tag keys are many, dotted (`mlflow.runName`)
 * and deletable, which columns are not.
 */
export const TAGS_TABLE = 'run_tags';

const ready = new WeakMap<Driver, Promise<void>>();

/** Creates the tags table once per driver (idempotent across processes). */
export function ensureTags(driver: Driver): Promise<void> {
  let p = ready.get(driver);
  if (!p) {
    p = driver.exec(`CREATE TABLE IF NOT EXISTS ${TAGS_TABLE} (
      experiment_id TEXT NOT NULL,
      run_id TEXT NOT NULL,
      key TEXT NOT NULL,
      value TEXT NOT NULL,
      PRIMARY KEY (experiment_id, run_id, key)
    )`);
    p.catch(() => ready.delete(driver));
    ready.set(driver, p);
  }
  return p;
}

/** The tags of some runs: run id → key → value. */
export async function readTags(
  driver: Driver,
  experimentId: string,
  runIds: readonly string[],
): Promise<Map<string, Record<string, string>>> {
  await ensureTags(driver);
  const out = new Map<string, Record<string, string>>();
  for (let i = 0; i < runIds.length; i += 500) {
    const ids = runIds.slice(i, i + 500);
    const rows = await driver.all<{ run_id: string; key: string; value: string }>(
      `SELECT run_id, key, value FROM ${TAGS_TABLE} WHERE experiment_id = ? AND run_id IN (${ids.map(() => '?').join(', ')}) ORDER BY key`,
      [experimentId, ...ids],
    );
    for (const r of rows) {
      const tags = out.get(r.run_id) ?? {};
      out.set(r.run_id, tags);
      tags[r.key] = r.value;
    }
  }
  return out;
}

/** Sets (upserts) tags of one run. */
export async function setTags(
  driver: Driver,
  experimentId: string,
  runId: string,
  tags: Record<string, string>,
): Promise<void> {
  await ensureTags(driver);
  const rows = Object.entries(tags).map(([k, v]) => [experimentId, runId, k, v]);
  if (rows.length === 0) return;
  await driver.insert({
    table: TAGS_TABLE,
    columns: ['experiment_id', 'run_id', 'key', 'value'],
    rows,
    conflict: ['experiment_id', 'run_id', 'key'],
  });
}

/** Deletes one tag; answers whether it existed. */
export async function deleteTag(driver: Driver, experimentId: string, runId: string, key: string): Promise<boolean> {
  await ensureTags(driver);
  const n = await driver.run(`DELETE FROM ${TAGS_TABLE} WHERE experiment_id = ? AND run_id = ? AND key = ?`, [
    experimentId,
    runId,
    key,
  ]);
  return n > 0;
}
