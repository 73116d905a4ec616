import { addColumn } from '../artifacts/tables.ts';
import { deleteTag, ensureTags, setTags } from '../search/tags.ts';
import type { Driver, Row } from '../store/driver.ts';
import type { RunLock } from './format.ts';

/** A lock as the `locks` table holds it. */
export interface LockRecord {
  id: string;
  runDir: string;
  lockPath: string;
  name: string | null;
  parentId: string | null;
  active: boolean;
  createdAt: Date;
  supersededBy: string | null;
  /** The tracked run that wrote the lock: experiment name and run id (null for locks made outside a run). */
  experiment: string | null;
  runId: string | null;
  lock: RunLock;
}

const ready = new WeakMap<Driver, Promise<void>>();

/** Creates the `locks` table once per driver (idempotent across processes). */
export function initLocks(driver: Driver): Promise<void> {
  let p = ready.get(driver);
  if (!p) {
    const t = (k: 'boolean' | 'date' | 'json') => driver.dialect.columnType(k);
    p = driver.exec(`CREATE TABLE IF NOT EXISTS locks (
      id TEXT PRIMARY KEY,
      run_dir TEXT NOT NULL,
      lock_path TEXT NOT NULL,
      name TEXT,
      parent_id TEXT,
      active ${t('boolean')} NOT NULL,
      created_at ${t('date')} NOT NULL,
      superseded_by TEXT,
      content ${t('json')} NOT NULL
    )`);
    p = p.then(() => driver.exec('CREATE INDEX IF NOT EXISTS locks_run_dir ON locks (run_dir, active)'));
    // the run that wrote each lock, since logical runs mark superseded runs (databases made before have no such columns)
    p = p
      .then(() => addColumn(driver, 'locks', 'experiment', 'TEXT'))
      .then(() => addColumn(driver, 'locks', 'run_id', 'TEXT'));
    p.catch(() => ready.delete(driver));
    ready.set(driver, p);
  }
  return p;
}

/** Run tags that say which run of an output directory is current (FlexLock's logical runs). */
export const LOGICAL_TAG = 'lockstep.lock';
export const SUPERSEDED_BY_TAG = 'lockstep.superseded_by';
export const SUPERSEDES_TAG = 'lockstep.supersedes';

/**
 * Stores a lock as the active record of its output directory: the directory's
 * previous active record (the same logical run) is kept but marked inactive.
 * When the lock belongs to a tracked run, that run is tagged the directory's
 * active one, and the run of the previous record, if another, superseded.
 */
export async function saveLock(driver: Driver, lock: RunLock, runDir: string, lockPath: string): Promise<void> {
  await initLocks(driver);
  await ensureTags(driver);
  const d = driver.dialect;
  await driver.transaction(async (tx) => {
    const previous = await tx.all<{ experiment: string | null; run_id: string | null }>(
      'SELECT experiment, run_id FROM locks WHERE run_dir = ? AND active = ?',
      [runDir, d.toParam('boolean', true)],
    );
    await tx.run('UPDATE locks SET active = ?, superseded_by = ? WHERE run_dir = ? AND active = ?', [
      d.toParam('boolean', false),
      lock.id,
      runDir,
      d.toParam('boolean', true),
    ]);
    await tx.run(
      'INSERT INTO locks (id, run_dir, lock_path, name, parent_id, active, created_at, superseded_by, content, experiment, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [
        lock.id,
        runDir,
        lockPath,
        lock.name,
        lock.parent?.id ?? null,
        d.toParam('boolean', true),
        d.toParam('date', new Date(lock.created)),
        null,
        d.toParam('json', lock),
        lock.run?.experiment ?? null,
        lock.run?.id ?? null,
      ],
    );
    await markLogical(tx, lock, previous);
  });
}

/**
 * Tags the run of a new lock active and the runs of the directory's previous
 * record superseded by it (by the lock's id when no run wrote it: `lock create`).
 */
async function markLogical(
  tx: Driver,
  lock: RunLock,
  previous: readonly { experiment: string | null; run_id: string | null }[],
): Promise<void> {
  const expId = async (name: string) =>
    (await tx.all<{ id: string }>('SELECT id FROM experiments WHERE name = ?', [name]))[0]?.id;
  const run = lock.run ?? null;
  const superseded: string[] = [];
  for (const p of previous) {
    if (!p.experiment || !p.run_id || (p.experiment === run?.experiment && p.run_id === run?.id)) continue;
    const theirs = await expId(p.experiment);
    if (!theirs) continue;
    await setTags(tx, theirs, p.run_id, {
      [LOGICAL_TAG]: 'superseded',
      [SUPERSEDED_BY_TAG]: run ? run.id : `lock ${lock.id}`,
    });
    superseded.push(p.run_id);
  }
  const mine = run ? await expId(run.experiment) : undefined;
  if (!run || !mine) return;
  await setTags(tx, mine, run.id, {
    [LOGICAL_TAG]: 'active',
    ...(superseded.length ? { [SUPERSEDES_TAG]: superseded.join(',') } : {}),
  });
  // a run current again (its config ran anew into the directory) is no longer superseded by anyone
  await deleteTag(tx, mine, run.id, SUPERSEDED_BY_TAG);
}

function decode(driver: Driver, row: Row): LockRecord {
  const d = driver.dialect;
  return {
    id: row.id as string,
    runDir: row.run_dir as string,
    lockPath: row.lock_path as string,
    name: (row.name as string | null) ?? null,
    parentId: (row.parent_id as string | null) ?? null,
    active: d.fromColumn('boolean', row.active) as boolean,
    createdAt: d.fromColumn('date', row.created_at) as Date,
    supersededBy: (row.superseded_by as string | null) ?? null,
    experiment: (row.experiment as string | null) ?? null,
    runId: (row.run_id as string | null) ?? null,
    lock: d.fromColumn('json', row.content) as RunLock,
  };
}

/** Lock records, newest first: only active ones unless `all`. */
export async function listLocks(
  driver: Driver,
  options: { all?: boolean; runDir?: string; limit?: number } = {},
): Promise<LockRecord[]> {
  await initLocks(driver);
  const where: string[] = [];
  const params: unknown[] = [];
  if (!options.all) {
    where.push('active = ?');
    params.push(driver.dialect.toParam('boolean', true));
  }
  if (options.runDir) {
    where.push('run_dir = ?');
    params.push(options.runDir);
  }
  const limit = options.limit === undefined ? '' : ' LIMIT ?';
  const rows = await driver.all(
    `SELECT * FROM locks${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id${limit}`,
    options.limit === undefined ? params : [...params, options.limit],
  );
  return rows.map((r) => decode(driver, r));
}

/** One lock record by id, or by a unique prefix of it. */
export async function getLock(driver: Driver, idOrPrefix: string): Promise<LockRecord[]> {
  await initLocks(driver);
  const rows = await driver.all('SELECT * FROM locks WHERE id = ? OR id LIKE ? ORDER BY created_at DESC', [
    idOrPrefix,
    `${idOrPrefix.replaceAll('%', '').replaceAll('_', '')}%`,
  ]);
  const exact = rows.filter((r) => r.id === idOrPrefix);
  return (exact.length ? exact : rows).map((r) => decode(driver, r));
}

/** The active locks whose `parent` is a lock (the tasks of a sweep). */
export async function childLocks(driver: Driver, parentId: string): Promise<LockRecord[]> {
  await initLocks(driver);
  const rows = await driver.all('SELECT * FROM locks WHERE parent_id = ? AND active = ? ORDER BY created_at, id', [
    parentId,
    driver.dialect.toParam('boolean', true),
  ]);
  return rows.map((r) => decode(driver, r));
}
