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
}

export interface BlobGcReport {
  dryRun: boolean;
  location: string;
  /** Blobs in the store. */
  scanned: number;
  /** Artifacts of runs that no longer exist (removed with their rows, or that would be). */
  orphanArtifacts: number;
  /** Blobs that an artifact, dataset or model version references (of this database or another sharing the store). */
  referenced: number;
  /** Of those, blobs kept only because another database sharing the store references them. */
  sharedWith: number;
  /** Unreferenced blobs kept because they are younger than the grace period. */
  young: number;
  /** Blobs removed (or that would be, in a dry run). */
  removed: { digest: string; size: number }[];
  freedBytes: number;
}

/** Why a blob stays: what references it. */
export type KeepReason = { kind: 'this-database' } | { kind: 'other-database'; url: string };

/**
 * Every blob something references, with the first reason found. Each source
 * adds to it; later kinds of reference (tags of sweeps, lineage) are one more
 * source here.
 */
async function references(ctx: ArtifactContext, dropped: ReadonlySet<string>): Promise<Map<string, KeepReason>> {
  const keep = new Map<string, KeepReason>();
  // artifacts of existing runs (running ones included: their rows exist from the start), datasets, model versions
  const rows = await ctx.driver.all<{ owner: string; digest: string }>('SELECT owner, digest FROM stored_files');
  for (const r of rows) if (!dropped.has(r.owner)) keep.set(r.digest, { kind: 'this-database' });
  // other databases that share the blob store
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
  // artifacts of deleted runs and experiments reference nothing any more
  const orphans = await orphanArtifacts(ctx, new Date(cutoff));
  // read every reference before deleting anything: a database that cannot be read stops gc here
  const keep = await references(ctx, new Set(orphans));
  if (!dryRun) await deleteArtifactRows(ctx, orphans);
  const blobs = await ctx.blobs.list();
  const report: BlobGcReport = {
    dryRun,
    location: ctx.blobs.location,
    scanned: blobs.length,
    orphanArtifacts: orphans.length,
    referenced: 0,
    sharedWith: 0,
    young: 0,
    removed: [],
    freedBytes: 0,
  };
  for (const blob of blobs) {
    const reason = keep.get(blob.digest);
    if (reason) {
      report.referenced++;
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
