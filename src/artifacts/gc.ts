import type { ArtifactContext } from './context.ts';
import { deleteArtifactRows, orphanArtifacts } from './orphans.ts';

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
  /** Blobs that an artifact, dataset or model version references. */
  referenced: number;
  /** Unreferenced blobs kept because they are younger than the grace period. */
  young: number;
  /** Blobs removed (or that would be, in a dry run). */
  removed: { digest: string; size: number }[];
  freedBytes: number;
}

/** Removes the blobs nothing references: no artifact of an existing run, no dataset version, no model version. */
export async function collectBlobs(ctx: ArtifactContext, options: BlobGcOptions = {}): Promise<BlobGcReport> {
  await ctx.init();
  const dryRun = options.dryRun ?? false;
  const graceMs = options.graceMs ?? 10 * 60 * 1000;
  const cutoff = Date.now() - graceMs;
  // artifacts of deleted runs and experiments reference nothing any more
  const orphans = await orphanArtifacts(ctx, new Date(cutoff));
  if (!dryRun) await deleteArtifactRows(ctx, orphans);
  const rows = await ctx.driver.all<{ owner: string; digest: string }>('SELECT owner, digest FROM stored_files');
  const dropped = new Set(orphans);
  const referenced = new Set(rows.filter((r) => !dropped.has(r.owner)).map((r) => r.digest));
  const blobs = await ctx.blobs.list();
  const report: BlobGcReport = {
    dryRun,
    location: ctx.blobs.location,
    scanned: blobs.length,
    orphanArtifacts: orphans.length,
    referenced: 0,
    young: 0,
    removed: [],
    freedBytes: 0,
  };
  for (const blob of blobs) {
    if (referenced.has(blob.digest)) {
      report.referenced++;
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
