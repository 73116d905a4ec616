import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LockstepError } from '../errors.ts';
import { LOCK_FILE, type LockLink, lockFileOf, readLock, toLockPath } from './format.ts';

/** The nearest run.lock at or above a path (a file's own directory first), never above `stop`. */
export function nearestLock(path: string, stop?: string): string | null {
  let dir = resolve(path);
  if (existsSync(join(dir, LOCK_FILE))) return join(dir, LOCK_FILE);
  const limit = stop ? resolve(stop) : null;
  for (;;) {
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
    if (existsSync(join(dir, LOCK_FILE))) return join(dir, LOCK_FILE);
    if (limit && dir === limit) return null;
  }
}

/** A link to a lock file: its id, its path as the lock writes paths, and its content hash. */
export function linkTo(root: string, lockPath: string): LockLink {
  const { lock, file, hash } = readLock(lockPath);
  return { id: lock.id, path: toLockPath(root, file), hash };
}

/**
 * The previous stages a run consumed: every explicit `prevs` entry (a run.lock
 * or its directory; missing is an error) and, for each data path, the nearest
 * run.lock above it, except the run's own.
 */
export function findPrevs(
  root: string,
  ownLock: string,
  prevs: readonly string[],
  data: readonly string[],
): LockLink[] {
  const out = new Map<string, LockLink>();
  for (const p of prevs) {
    const file = lockFileOf(p);
    if (!existsSync(file)) {
      throw new LockstepError('E_INPUT', `prevs: no run.lock at ${file}`, { details: { path: p } });
    }
    const link = linkTo(root, file);
    out.set(link.id, link);
  }
  for (const d of data) {
    const file = nearestLock(d);
    if (!file || resolve(file) === resolve(ownLock)) continue;
    const link = linkTo(root, file);
    if (!out.has(link.id)) out.set(link.id, link);
  }
  return [...out.values()];
}
