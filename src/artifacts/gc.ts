import type { ArtifactContext } from './context.ts';
import { deleteArtifactRows, orphanArtifacts } from './orphans.ts';
import { otherReferences } from './users.ts';

export interface BlobGcOptions {
  /** Report what would be removed without removing anything. */
  dryRun?: boolean;
  /**
   * Keep unreferenced blobs younger than this (milliseconds; default ten
   * minutes): a run may have stored a blob whose database row is not
   * written yet.
   */
  graceMs?: number;
  /**
   * Runs (by id) whose results must stay although their rows may be gone: a
   * tag, an active lock, a model or a lineage keeps them (`gcLocks` reports
   * them). Their artifacts are not orphans.
   */
  keepRuns?: ReadonlyMap<string, string>;
}

export interface BlobGcReport {
  dryRun: boolean;
  location: string;
  /** Blobs in the store. */
  scanned: number;
  /** Artifacts of runs that no longer exist (removed with their rows, or that would be). */
  orphanArtifacts: number;
  /** Artifacts of runs that no longer exist but that a tag, an active lock, a model or a lineage keeps. */
  pinnedArtifacts: number;
  /** Blobs that an artifact, dataset or model version references (of this database or another sharing the store). */
  referenced: number;
  /** Of those, blobs kept only because another database sharing the store references them. */
  sharedWith: number;
  /** Unreferenced blobs kept because they are younger than the grace period. */
  young: number;
  /** Blobs removed (or that would be, in a dry run). */
  removed: { digest: string; size: number }[];
  freedBytes: number;
  /** Every blob kept, with why (the first reason found). */
  kept: { digest: string; reason: string }[];
}

/** Why a blob stays: what references it. */
export type KeepReason =
  | { kind: 'artifact'; run: string; name: string; pinned?: string }
  | { kind: 'dataset'; name: string; version: string }
  | { kind: 'model'; name: string; version: number }
  | { kind: 'this-database' }
  | { kind: 'other-database'; url: string };

export function describeReason(r: KeepReason): string {
  switch (r.kind) {
    case 'artifact':
      return r.pinned
        ? `artifact ${r.name} of deleted run ${r.run}, kept: ${r.pinned}`
        : `artifact ${r.name} of run ${r.run}`;
    case 'dataset':
      return `dataset ${r.name} v${r.version}`;
    case 'model':
      return `model ${r.name} v${r.version}`;
    case 'this-database':
      return 'a file of this database';
    case 'other-database':
      return `used by ${r.url}, which shares the store`;
  }
}

/** What owns each stored file: an artifact of a run, a dataset version, a model version. */
async function owners(ctx: ArtifactContext): Promise<Map<string, KeepReason>> {
  const out = new Map<string, KeepReason>();
  for (const a of await ctx.driver.all<{ id: string; run_id: string; name: string }>(
    'SELECT id, run_id, name FROM artifacts',
  ))
    out.set(a.id, { kind: 'artifact', run: a.run_id, name: a.name });
  for (const d of await ctx.driver.all<{ id: string; name: string; version: string }>(
    'SELECT id, name, version FROM datasets',
  ))
    out.set(d.id, { kind: 'dataset', name: d.name, version: d.version });
  for (const v of await ctx.driver.all<{ id: string; model: string; version: number }>(
    'SELECT id, model, version FROM model_versions',
  ))
    out.set(v.id, { kind: 'model', name: v.model, version: Number(v.version) });
  return out;
}

/**
 * Every blob something references, with the first reason found: artifacts of
 * existing runs and of deleted runs that something keeps (`pinned`), dataset
 * versions, model versions, and other databases sharing the store.
 */
async function references(
  ctx: ArtifactContext,
  dropped: ReadonlySet<string>,
  pinned: ReadonlyMap<string, string>,
): Promise<Map<string, KeepReason>> {
  const keep = new Map<string, KeepReason>();
  const byOwner = await owners(ctx);
  const rows = await ctx.driver.all<{ owner: string; digest: string }>('SELECT owner, digest FROM stored_files');
  for (const r of rows) {
    if (dropped.has(r.owner) || keep.has(r.digest)) continue;
    const owner = byOwner.get(r.owner) ?? { kind: 'this-database' };
    const pin = owner.kind === 'artifact' ? pinned.get(r.owner) : undefined;
    keep.set(r.digest, pin && owner.kind === 'artifact' ? { ...owner, pinned: pin } : owner);
  }
  for (const [digest, url] of await otherReferences(ctx.blobs, ctx.dbUrl))
    if (!keep.has(digest)) keep.set(digest, { kind: 'other-database', url });
  return keep;
}

/**
 * Removes the blobs nothing references: no artifact of an existing run, no
 * dataset version, no model version, in this database or any other that
 * records itself as a user of the same blob store.
 */
export async function collectBlobs(ctx: ArtifactContext, options: BlobGcOptions = {}): Promise<BlobGcReport> {
  await ctx.init();
  const dryRun = options.dryRun ?? false;
  const graceMs = options.graceMs ?? 10 * 60 * 1000;
  const cutoff = Date.now() - graceMs;
  // artifacts of deleted runs and experiments reference nothing any more, unless a tag, lock, model or lineage keeps the run
  const keepRuns = options.keepRuns ?? new Map<string, string>();
  const found = await orphanArtifacts(ctx, new Date(cutoff));
  const pinned = new Map(
    found.filter((o) => keepRuns.has(o.runId)).map((o) => [o.id, keepRuns.get(o.runId) as string]),
  );
  const orphans = found.filter((o) => !pinned.has(o.id)).map((o) => o.id);
  // read every reference before deleting anything: a database that cannot be read stops gc here
  const keep = await references(ctx, new Set(orphans), pinned);
  if (!dryRun) await deleteArtifactRows(ctx, orphans);
  const blobs = await ctx.blobs.list();
  const report: BlobGcReport = {
    dryRun,
    location: ctx.blobs.location,
    scanned: blobs.length,
    orphanArtifacts: orphans.length,
    pinnedArtifacts: pinned.size,
    referenced: 0,
    sharedWith: 0,
    young: 0,
    removed: [],
    freedBytes: 0,
    kept: [],
  };
  for (const blob of blobs) {
    const reason = keep.get(blob.digest);
    if (reason) {
      report.referenced++;
      report.kept.push({ digest: blob.digest, reason: describeReason(reason) });
      if (reason.kind === 'other-database') report.sharedWith++;
      continue;
    }
    if (graceMs > 0 && blob.modifiedAt && blob.modifiedAt.getTime() > cutoff) {
      report.young++;
      continue;
    }
    if (!dryRun) await ctx.blobs.delete(blob.digest);
    report.removed.push({ digest: blob.digest, size: blob.size });
    report.freedBytes += blob.size;
  }
  return report;
}
