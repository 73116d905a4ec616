import { existsSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { Session } from '../session.ts';
import { isInside } from '../untrusted.ts';
import { fromLockPath, type RunLock, readLock } from './format.ts';
import { type LockRecord, listLocks } from './records.ts';
import { listTags, readTag } from './tag.ts';

/**
 * What must survive a gc, each with the first reason found. A root is a
 * lock a tag pins, a registered model version's run or a dataset registered
 * from a run's outputs; every active lock whose run.lock is on disk is a root
 * for what it references (its previous stages, its data, its sweep), not for
 * its own directory. The lineage of every root (previous stages and sweeps,
 * followed through the store's records, then files) is kept too.
 */
export interface Keeps {
  /** Run directories (absolute) that must stay, and why. */
  dirs: Map<string, string>;
  /** Of those, the ones pinned themselves (a tag, a model, a dataset): what lies inside them stays too. */
  pinned: Map<string, string>;
  /** Lock ids whose records, captures and runs must stay, and why. */
  locks: Map<string, string>;
  /** Every lock record, newest first. */
  records: LockRecord[];
  /** Commits the tags keep reachable (their code), when a repository was given. */
  tagged: { name: string; commit: string }[];
}

/** A directory as the user reads it: relative to the repository when inside it. */
export function shown(repo: string | null, dir: string): string {
  return repo && isInside(repo, dir) && dir !== repo ? relative(repo, dir) : dir;
}

/** The lock's output directory, absolute: the store's record when there is one, else from the lock's root. */
function dirOf(lock: RunLock, byId: Map<string, LockRecord>, repo: string | null): string {
  const rec = byId.get(lock.id);
  if (rec) return resolve(rec.runDir);
  const root = existsSync(lock.root) || !repo ? lock.root : repo;
  return resolve(fromLockPath(root, lock.dir));
}

/** The locks a lock links to (previous stages, its sweep), from the store or from their files. */
function links(lock: RunLock, byId: Map<string, LockRecord>): RunLock[] {
  const out: RunLock[] = [];
  for (const link of [...lock.prevs, ...(lock.parent ? [lock.parent] : [])]) {
    const rec = byId.get(link.id);
    if (rec) {
      out.push(rec.lock);
      continue;
    }
    const file = fromLockPath(lock.root, link.path);
    try {
      const found = existsSync(file) ? readLock(file).lock : null;
      if (found?.id === link.id) out.push(found);
    } catch {
      // an unreadable lock file keeps nothing more
    }
  }
  return out;
}

export async function collectKeeps(session: Session, repo: string | null): Promise<Keeps> {
  const records = await listLocks(session.store.driver, { all: true });
  const byId = new Map(records.map((r) => [r.id, r]));
  const byDir = new Map<string, LockRecord[]>();
  for (const r of records) {
    const dir = resolve(r.runDir);
    const list = byDir.get(dir);
    if (list) list.push(r);
    else byDir.set(dir, [r]);
  }
  const dirs = new Map<string, string>();
  const pinned = new Map<string, string>();
  const locks = new Map<string, string>();
  const keepLock = (lock: RunLock, why: string) => {
    if (!locks.has(lock.id)) locks.set(lock.id, why);
  };
  const keepDir = (dir: string, why: string) => {
    if (!dirs.has(dir)) dirs.set(dir, why);
  };
  /** A lock's ancestors (not the lock itself) are kept as its lineage. */
  const keepLineage = (lock: RunLock, why: string) => {
    const seen = new Set([lock.id]);
    const queue = links(lock, byId);
    while (queue.length) {
      const next = queue.shift() as RunLock;
      if (seen.has(next.id)) continue;
      seen.add(next.id);
      keepLock(next, why);
      keepDir(dirOf(next, byId, repo), why);
      queue.push(...links(next, byId));
    }
  };
  const roots: { lock: RunLock; why: string }[] = [];

  const tagged: { name: string; commit: string }[] = [];
  if (repo) {
    for (const name of await listTags(repo)) {
      const tag = await readTag(repo, name);
      tagged.push({ name, commit: tag.commit });
      for (const lock of tag.locks) roots.push({ lock, why: `tag ${name}` });
    }
  }
  for (const { lock, why } of await registryRoots(session, records)) roots.push({ lock, why });
  for (const { lock, why } of roots) {
    const dir = dirOf(lock, byId, repo);
    keepLock(lock, why);
    keepDir(dir, why);
    if (!pinned.has(dir)) pinned.set(dir, why);
    // every record of the same directory is the same logical run: its current lock stays with it
    for (const rec of byDir.get(dir) ?? []) keepLock(rec.lock, why);
  }
  for (const { lock, why } of roots) keepLineage(lock, `lineage of ${shown(repo, dirOf(lock, byId, repo))} (${why})`);

  // active locks on disk: what they consume stays (their own directory is theirs to lose)
  const activeDirs = new Set(records.filter((r) => r.active).map((r) => resolve(r.runDir)));
  for (const rec of records) {
    if (!rec.active || !existsSync(rec.lockPath)) continue;
    const here = `used by ${shown(repo, resolve(rec.runDir))}, an active run`;
    keepLock(rec.lock, `active lock of ${shown(repo, resolve(rec.runDir))}`);
    keepLineage(rec.lock, here);
    for (const d of rec.lock.data) {
      // the run directories the data lies in: each ancestor of the path looked up, not every record scanned
      const own = resolve(rec.runDir);
      for (let dir = resolve(fromLockPath(rec.lock.root, d.path)); ; dir = dirname(dir)) {
        if (activeDirs.has(dir) && dir !== own) keepDir(dir, `data of ${shown(repo, own)}, an active run`);
        if (dirname(dir) === dir) break;
      }
    }
  }
  return { dirs, pinned, locks, records, tagged };
}

/** Locks behind registered model versions (their run's) and datasets registered from a run's outputs. */
async function registryRoots(
  session: Session,
  records: readonly LockRecord[],
): Promise<{ lock: RunLock; why: string }[]> {
  const d = session.store.driver;
  const out: { lock: RunLock; why: string }[] = [];
  const exists = async (table: string) =>
    d.all(`SELECT 1 FROM ${table} WHERE 1 = 0`).then(
      () => true,
      () => false,
    );
  if (await exists('model_versions')) {
    const rows = await d.all<{ model: string; version: number; run_id: string | null; name: string | null }>(
      'SELECT v.model, v.version, v.run_id, e.name FROM model_versions v LEFT JOIN experiments e ON e.id = v.experiment_id WHERE v.run_id IS NOT NULL',
    );
    for (const r of rows) {
      const rec = records.find((x) => x.runId === r.run_id && (r.name === null || x.experiment === r.name));
      if (rec) out.push({ lock: rec.lock, why: `model ${r.model} v${r.version}` });
    }
  }
  if (await exists('datasets')) {
    const rows = await d
      .all<{ name: string; version: string; lock_id: string | null }>(
        'SELECT name, version, lock_id FROM datasets WHERE lock_id IS NOT NULL',
      )
      .catch(() => []);
    for (const r of rows) {
      const rec = records.find((x) => x.id === r.lock_id);
      if (rec) out.push({ lock: rec.lock, why: `dataset ${r.name} v${r.version}` });
    }
  }
  return out;
}
