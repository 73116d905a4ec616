import { resolve } from 'node:path';
import { LockstepError } from '../errors.ts';
import { initLocks } from '../lock/records.ts';
import { RemoteStore } from '../remote/store.ts';
import { ensureTags } from '../search/tags.ts';
import type { Session } from '../session.ts';
import type { ExperimentRecord } from '../store/store.ts';
import { copyBlobs, readArtifacts, readFiles, writeArtifacts } from './files.ts';
import { copyLocks } from './locks.ts';
import { readRegistry, registryOwners, writeRegistry } from './registry.ts';
import { copyTags, planRuns, writePoints, writeRuns } from './runs.ts';
import { type Source, sourceOf } from './source.ts';

/** Where a copy is: the experiment, what it does now, and how far it got (runs of the experiment). */
export interface CopyProgress {
  experiment: string;
  phase: 'reading' | 'blobs' | 'writing' | 'done';
  /** Runs done in this phase (writing: runs whose points are written). */
  runs: number;
  /** Runs this phase goes through (writing: the runs to write). */
  total: number;
}

export interface CopyOptions {
  /** Called as the copy goes (each experiment's phases). */
  onProgress?: (p: CopyProgress) => void;
}

/** What one experiment's copy did. */
export interface ExperimentCopyReport {
  experiment: string;
  /** The experiment was new in the destination (created with the source's id, so grid runs keep theirs). */
  created: boolean;
  /** Runs written (new, or in a later state than the destination's). */
  runs: number;
  /** Runs the destination has already as they are. */
  unchanged: number;
  /** Runs the destination has in a later state: left alone. */
  keptNewer: number;
  points: number;
  archivedPoints: number;
  tags: number;
  locks: number;
  artifacts: number;
  /** Blobs put into the destination's blob store. */
  blobs: number;
  models: number;
  datasets: number;
  /** Renumbered versions, aliases left in place, what a remote source cannot give. */
  notes: string[];
}

function where(session: Session): string {
  const url = session.url.replace(/^sqlite:/, '');
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) || url.includes(':memory:') ? url : resolve(url);
}

function checkPair(src: Session, dst: Session): void {
  if (dst.store instanceof RemoteStore)
    throw new LockstepError(
      'E_INPUT',
      `copy writes into a database (a SQLite file or postgres://…), not into a server (${dst.url}): copy into the server's database`,
    );
  if (src === dst || where(src) === where(dst))
    throw new LockstepError('E_INPUT', `copy: the source and the destination are the same database (${where(src)})`);
}

/** The destination's experiment: the one of that name, or a new one with the source's id, description and fields. */
async function destination(
  dst: Session,
  exp: ExperimentRecord,
): Promise<{ record: ExperimentRecord; created: boolean }> {
  const there = await dst.store.getExperiment(exp.name);
  if (there) return { record: there, created: false };
  const [taken] = await dst.store.driver.all('SELECT id FROM experiments WHERE id = ?', [exp.id]);
  const record = await dst.store.createExperiment(exp.name, exp.description, taken ? {} : { id: exp.id });
  if (Object.keys(exp.fields).length) await dst.store.updateExperiment(record, { fields: exp.fields });
  return { record, created: true };
}

async function copyOne(
  source: Source,
  dst: Session,
  srcExp: ExperimentRecord,
  options: CopyOptions,
): Promise<ExperimentCopyReport> {
  const progress = (phase: CopyProgress['phase'], runs: number, total: number) =>
    options.onProgress?.({ experiment: srcExp.name, phase, runs, total });
  progress('reading', 0, 0);
  const runs = await source.runs(srcExp);
  const { record: dstExp, created } = await destination(dst, srcExp);
  const driver = dst.store.driver;
  const plan = await planRuns(driver, srcExp, dstExp, runs);
  const notes: string[] = [];
  const artifacts = await readArtifacts(source, srcExp, plan);
  const registry = await readRegistry(source, srcExp, plan);
  const registryFiles = await (source.direct ? readFiles(source, registryOwners(registry)) : Promise.resolve([]));
  if (!source.direct)
    notes.push(
      'artifacts, datasets and model versions are not copied from a server: copy from its database to carry them',
    );
  let blobs = 0;
  const files = [...artifacts.files, ...registryFiles];
  if (files.length) {
    progress('blobs', 0, runs.length);
    blobs = await copyBlobs(source.session, dst, files);
    await dst.artifactHub.ctx.init(); // its tables exist before the transaction
  }
  await initLocks(driver);
  await ensureTags(driver);
  progress('writing', 0, plan.write.length);
  // one transaction: the experiment arrives whole or not at all
  return driver.transaction(async (tx) => {
    await writeRuns(tx, dstExp, plan);
    // the points are the long part: progress counts the runs whose points are in
    const { points, archived } = await writePoints(tx, source, srcExp, dstExp, plan, (n) =>
      progress('writing', n, plan.write.length),
    );
    const tags = await copyTags(tx, source, srcExp, dstExp, plan);
    const locks = await copyLocks(tx, source, srcExp, plan, runs);
    const artifactCount = await writeArtifacts(tx, source, dstExp, plan, artifacts);
    const reg = await writeRegistry(tx, source, dstExp, plan, registry, registryFiles, notes);
    progress('done', runs.length, runs.length);
    return {
      experiment: srcExp.name,
      created,
      runs: plan.write.length,
      unchanged: plan.unchanged,
      keptNewer: plan.keptNewer,
      points,
      archivedPoints: archived,
      tags,
      locks,
      artifacts: artifactCount,
      blobs,
      models: reg.models,
      datasets: reg.datasets,
      notes,
    };
  });
}

/**
 * Copies experiments from one database to another (SQLite ↔ PostgreSQL, or
 * from a lockstep server): every run with every value exact, its live-run
 * columns, metric points (current and earlier attempts'), tags, locks and
 * their lineage, artifacts with their blobs, and the model versions and
 * datasets of its runs. Runs merge into an existing experiment by identity;
 * copying again adds nothing. Each experiment is one transaction.
 */
export async function copyExperiments(
  src: Session,
  dst: Session,
  options: CopyOptions & { experiments?: readonly string[] } = {},
): Promise<ExperimentCopyReport[]> {
  checkPair(src, dst);
  const source = sourceOf(src);
  const all = await source.experiments();
  const names = options.experiments ?? all.map((e) => e.name);
  // every name is checked before anything is copied
  const chosen = names.map((name) => {
    const exp = all.find((e) => e.name === name);
    if (!exp)
      throw new LockstepError(
        'E_NOT_FOUND',
        `copy: no experiment "${name}" in ${src.url} (it has: ${all.map((e) => e.name).join(', ') || 'none'})`,
        { details: { name } },
      );
    return exp;
  });
  const out: ExperimentCopyReport[] = [];
  for (const exp of chosen) out.push(await copyOne(source, dst, exp, options));
  return out;
}
