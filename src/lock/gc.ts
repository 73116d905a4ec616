import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Session } from '../session.ts';
import { isInside } from '../untrusted.ts';
import { readLock } from './format.ts';
import { git, gitMaybe, repoRoot } from './git.ts';
import { collectKeeps, type Keeps, shown } from './keep.ts';
import { withStore } from './lock.ts';
import type { LockRecord } from './records.ts';

const RUN_REFS = 'refs/lockstep/runs/';

/** One thing gc looked at: what it is, whether it stays, and why. */
export interface GcDecision {
  /** A private ref (`refs/lockstep/runs/<id>`) or a run directory (absolute). */
  item: string;
  keep: boolean;
  reason: string;
}

export interface LockGcReport {
  dryRun: boolean;
  repo: string;
  /** Private refs of captured code removed (or that would be). */
  refs: string[];
  /** Run output directories removed (or that would be); only with `runDirs`. */
  runDirs: string[];
  /** Refs kept (a tag, an active run or a lineage reaches them). */
  kept: number;
  /** Every ref and run directory considered, with why it stays or goes. */
  decisions: GcDecision[];
  /** Runs (by id) whose locks must stay, and why: their artifacts stay even once the run's row is deleted. */
  runs: Map<string, string>;
}

/**
 * Removes what nothing needs: private refs `refs/lockstep/runs/<id>` of
 * captures that no tag, active lock, model, dataset or lineage reaches, and,
 * with `runDirs`, the output directories of active runs that nothing refers
 * to. Safe to delete (see docs/run-locks.md) means: no tag pins a lock of the
 * directory or of a directory holding it, no registered model or dataset
 * comes from it, no active run consumes it (as a previous stage, its data or
 * its sweep), and no lineage of any of those passes through it. The code of
 * a result on disk is never dropped before the result.
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
  const keeps = await collectKeeps(session, repo);
  const decisions: GcDecision[] = [];
  const runDirs: string[] = [];
  if (options.runDirs) {
    const keptDirs = [...keeps.dirs];
    const pinned = [...keeps.pinned];
    for (const rec of keeps.records) {
      if (!rec.active || !existsSync(rec.lockPath)) continue;
      // only a directory whose run.lock is still this record's (nothing newer was written there)
      let onDisk: string | null = null;
      try {
        onDisk = readLock(rec.lockPath).lock.id;
      } catch {
        onDisk = null;
      }
      if (onDisk !== rec.id) continue;
      // paths come from the database: strictly inside the repository once resolved, never the repository itself
      const dir = resolve(rec.runDir);
      if (dir === repo || !isInside(repo, dir)) continue;
      const name = `${shown(repo, dir)}/`;
      const inside = pinned.find(([k]) => isInside(k, dir));
      const holds = keptDirs.find(([k]) => isInside(dir, k));
      const why =
        keeps.dirs.get(dir) ??
        (inside ? `inside ${shown(repo, inside[0])}: ${inside[1]}` : undefined) ??
        (holds ? `holds ${shown(repo, holds[0])}: ${holds[1]}` : undefined);
      if (why) {
        decisions.push({ item: name, keep: true, reason: why });
        continue;
      }
      runDirs.push(dir);
      decisions.push({
        item: name,
        keep: false,
        reason: 'no tag, model, dataset or active run refers to it, nor any lineage',
      });
    }
  }
  const refs: string[] = [];
  let kept = 0;
  const reachable = new Map<string, string>();
  for (const t of keeps.tagged)
    for (const c of (await git(repo, ['rev-list', t.commit])).split('\n')) if (c) reachable.set(c, `tag ${t.name}`);
  const byId = new Map(keeps.records.map((r) => [r.id, r]));
  const list = await git(repo, ['for-each-ref', '--format=%(refname) %(objectname)', RUN_REFS]);
  for (const line of list.split('\n').filter(Boolean)) {
    const [ref, sha] = line.split(' ') as [string, string];
    const id = ref.slice(RUN_REFS.length);
    const rec = byId.get(id);
    const removedWith = rec && runDirs.some((d) => isInside(d, resolve(rec.runDir)));
    const why = reachable.get(sha) ?? (removedWith ? undefined : keeps.locks.get(id));
    if (why) {
      kept++;
      decisions.push({ item: ref, keep: true, reason: why });
      continue;
    }
    refs.push(ref);
    decisions.push({
      item: ref,
      keep: false,
      reason: removedWith
        ? `capture of ${shown(repo, resolve(rec.runDir))}, removed with it`
        : rec
          ? `capture of a superseded lock of ${shown(repo, resolve(rec.runDir))}, in no tag or lineage`
          : 'capture of a lock this database does not know',
    });
  }
  if (!dryRun) {
    for (const ref of refs) await gitMaybe(repo, ['update-ref', '-d', ref]);
    for (const dir of runDirs) rmSync(dir, { recursive: true, force: true });
  }
  // runs whose locks stay keep their artifacts (a removed directory's run keeps nothing)
  const runs = runsOf(keeps, (rec) =>
    runDirs.some((d) => isInside(d, resolve(rec.runDir)) && !keeps.dirs.has(resolve(rec.runDir))),
  );
  return { dryRun, repo, refs, runDirs, kept, decisions, runs };
}

/**
 * The runs whose locks something keeps (an active lock, a model, a dataset,
 * a lineage; tags too when `repo` is given), by run id, with why: their
 * artifacts stay even once their rows are deleted.
 */
export async function pinnedRuns(session: Session, repo: string | null = null): Promise<Map<string, string>> {
  return runsOf(await collectKeeps(session, repo));
}

/** The runs (by id) of the kept locks, with why, leaving out the records `skip` says. */
function runsOf(keeps: Keeps, skip: (rec: LockRecord) => boolean = () => false): Map<string, string> {
  const byId = new Map(keeps.records.map((r) => [r.id, r]));
  const runs = new Map<string, string>();
  for (const [id, why] of keeps.locks) {
    const rec = byId.get(id);
    if (rec?.runId && !skip(rec) && !runs.has(rec.runId)) runs.set(rec.runId, why);
  }
  return runs;
}
