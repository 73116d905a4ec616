import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Session } from '../session.ts';
import { isInside } from '../untrusted.ts';
import { readLock } from './format.ts';
import { git, gitMaybe, repoRoot } from './git.ts';
import { withStore } from './lock.ts';
import { listLocks } from './records.ts';
import { listTags, readTag } from './tag.ts';

const RUN_REFS = 'refs/lockstep/runs/';

export interface LockGcReport {
  dryRun: boolean;
  repo: string;
  /** Private refs of captured code removed (or that would be). */
  refs: string[];
  /** Run output directories removed (or that would be); only with `runDirs`. */
  runDirs: string[];
  /** Refs kept because a tag reaches them or their run is the active lock of its directory. */
  kept: number;
}

/**
 * Removes what no tag reaches: private refs `refs/lockstep/runs/<id>` whose
 * capture is in no tag, and, with `runDirs`, the output directories of locks
 * in no tag. A ref whose lock is still the active run.lock of its directory
 * is kept unless `runDirs` removes that directory too: the code of a result
 * on disk is never dropped before the result.
 */
export async function gcLocks(
  options: { dryRun?: boolean; repo?: string; session?: Session | string; runDirs?: boolean } = {},
): Promise<LockGcReport> {
  return withStore(options.session, (session) => collect(session, options));
}

async function collect(
  session: Session,
  options: { dryRun?: boolean; repo?: string; runDirs?: boolean },
): Promise<LockGcReport> {
  const dryRun = options.dryRun ?? false;
  const repo = await repoRoot(options.repo ?? '.');
  const tagged = new Set<string>();
  const reachable = new Set<string>();
  for (const name of await listTags(repo)) {
    const tag = await readTag(repo, name);
    for (const l of tag.locks) tagged.add(l.id);
    for (const c of (await git(repo, ['rev-list', tag.commit])).split('\n')) if (c) reachable.add(c);
  }
  const runDirs: string[] = [];
  if (options.runDirs) {
    const locks = await listLocks(session.store.driver);
    // directories that must survive: a tagged lock's, wherever it sits (inside an untagged parent too)
    const keptDirs = locks.filter((r) => tagged.has(r.id)).map((r) => resolve(r.runDir));
    for (const rec of locks) {
      if (tagged.has(rec.id) || !existsSync(rec.lockPath)) continue;
      // only a directory whose run.lock is still this record's (nothing newer was written there)
      const onDisk = (() => {
        try {
          return readLock(rec.lockPath).lock.id;
        } catch {
          return null;
        }
      })();
      if (onDisk !== rec.id) continue;
      // paths come from the database: strictly inside the repository once resolved, never the repository itself
      const dir = resolve(rec.runDir);
      if (dir === repo || !isInside(repo, dir)) continue;
      if (keptDirs.some((k) => isInside(dir, k))) continue;
      runDirs.push(dir);
    }
  }
  const refs: string[] = [];
  let kept = 0;
  const list = await git(repo, ['for-each-ref', '--format=%(refname) %(objectname)', RUN_REFS]);
  const active = new Set(
    (await listLocks(session.store.driver))
      .filter((r) => !runDirs.some((d) => isInside(d, resolve(r.runDir))))
      .map((r) => r.id),
  );
  for (const line of list.split('\n').filter(Boolean)) {
    const [ref, sha] = line.split(' ') as [string, string];
    const id = ref.slice(RUN_REFS.length);
    if (reachable.has(sha) || tagged.has(id) || active.has(id)) {
      kept++;
      continue;
    }
    refs.push(ref);
  }
  if (!dryRun) {
    for (const ref of refs) await gitMaybe(repo, ['update-ref', '-d', ref]);
    for (const dir of runDirs) rmSync(dir, { recursive: true, force: true });
  }
  return { dryRun, repo, refs, runDirs, kept };
}
