import { existsSync } from 'node:fs';
import { LockstepError } from '../errors.ts';
import type { Session } from '../session.ts';
import { fromLockPath, type RunLock, readLock } from './format.ts';
import { getLock } from './records.ts';

/** A lock found from what a user typed: a run.lock path, its directory, or a lock id (or unique prefix) in the store. */
export async function resolveLock(ref: string, session?: Session): Promise<{ lock: RunLock; file: string | null }> {
  if (existsSync(ref)) {
    const { lock, file } = readLock(ref);
    return { lock, file };
  }
  if (session) {
    const found = await getLock(session.store.driver, ref);
    if (found.length > 1 && found.some((f) => f.id !== found[0]?.id)) {
      throw new LockstepError(
        'E_INPUT',
        `"${ref}" matches ${found.length} locks (${found
          .slice(0, 5)
          .map((f) => f.id)
          .join(', ')}…); give more of the id`,
      );
    }
    const rec = found[0];
    if (rec) return { lock: rec.lock, file: existsSync(rec.lockPath) ? rec.lockPath : null };
  }
  throw new LockstepError('E_NOT_FOUND', `no run.lock at "${ref}" and no lock with that id in the store`, {
    details: { ref },
  });
}

/** A node of a lineage graph: one lock and the ids of the locks it consumed. */
export interface LineageNode {
  id: string;
  name: string | null;
  dir: string;
  created: string;
  prevs: string[];
  parent: string | null;
  /** The lock could not be read (moved, deleted): only its link is known. */
  missing?: boolean;
}

/**
 * The ancestor graph of a lock: its previous stages, theirs, and so on. Each
 * link is followed by path first (relative to the lock's root), then by id in
 * the store.
 */
export async function lineage(ref: string, session?: Session): Promise<LineageNode[]> {
  const { nodes } = await walk(ref, session);
  return [...nodes.values()];
}

/** The locks of a run and all its ancestors (those that could be found), with their files when on disk. */
export async function lineageLocks(
  ref: string,
  session?: Session,
): Promise<Map<string, { lock: RunLock; file: string | null }>> {
  return (await walk(ref, session)).locks;
}

async function walk(ref: string, session?: Session) {
  const start = await resolveLock(ref, session);
  const nodes = new Map<string, LineageNode>();
  const locks = new Map<string, { lock: RunLock; file: string | null }>();
  const queue: { lock: RunLock; file: string | null }[] = [start];
  while (queue.length) {
    const item = queue.shift() as { lock: RunLock; file: string | null };
    const { lock } = item;
    if (nodes.has(lock.id)) continue;
    locks.set(lock.id, item);
    nodes.set(lock.id, {
      id: lock.id,
      name: lock.name,
      dir: lock.dir,
      created: lock.created,
      prevs: lock.prevs.map((p) => p.id),
      parent: lock.parent?.id ?? null,
    });
    for (const link of [...lock.prevs, ...(lock.parent ? [lock.parent] : [])]) {
      if (nodes.has(link.id)) continue;
      const next = await follow(lock.root, link, session);
      if (next) queue.push(next);
      else
        nodes.set(link.id, {
          id: link.id,
          name: null,
          dir: link.path,
          created: '',
          prevs: [],
          parent: null,
          missing: true,
        });
    }
  }
  return { nodes, locks };
}

async function follow(
  root: string,
  link: { id: string; path: string },
  session?: Session,
): Promise<{ lock: RunLock; file: string | null } | null> {
  const path = fromLockPath(root, link.path);
  if (existsSync(path)) {
    const { lock, file } = readLock(path);
    if (lock.id === link.id) return { lock, file };
  }
  if (!session) return null;
  const [rec] = await getLock(session.store.driver, link.id);
  return rec?.id === link.id ? { lock: rec.lock, file: existsSync(rec.lockPath) ? rec.lockPath : null } : null;
}
