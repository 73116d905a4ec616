import { quoteId } from '../store/driver.ts';
import type { ArtifactContext } from './context.ts';

/**
 * Artifact rows whose run is gone (its experiment or the run was deleted).
 * A step logs artifacts before its run row is written, so rows younger than
 * `cutoff` are never orphans: their run may still be executing.
 */
export async function orphanArtifacts(ctx: ArtifactContext, cutoff: Date): Promise<{ id: string; runId: string }[]> {
  const d = ctx.driver.dialect;
  const experiments = new Map(
    (await ctx.driver.all<{ id: string; table_name: string }>('SELECT id, table_name FROM experiments')).map((e) => [
      e.id,
      e.table_name,
    ]),
  );
  const rows = await ctx.driver.all<{ id: string; experiment_id: string; run_id: string }>(
    'SELECT id, experiment_id, run_id FROM artifacts WHERE created_at < ?',
    [d.toParam('date', cutoff)],
  );
  const byExperiment = new Map<string, { id: string; run_id: string }[]>();
  for (const r of rows) byExperiment.set(r.experiment_id, [...(byExperiment.get(r.experiment_id) ?? []), r]);
  const orphans: { id: string; runId: string }[] = [];
  for (const [expId, list] of byExperiment) {
    const table = experiments.get(expId);
    if (table === undefined) {
      orphans.push(...list.map((r) => ({ id: r.id, runId: r.run_id })));
      continue;
    }
    const runIds = [...new Set(list.map((r) => r.run_id))];
    const alive = new Set<string>();
    for (let i = 0; i < runIds.length; i += 500) {
      const ids = runIds.slice(i, i + 500);
      const found = await ctx.driver.all<{ run_id: string }>(
        `SELECT run_id FROM ${quoteId(table)} WHERE run_id IN (${ids.map(() => '?').join(', ')})`,
        ids,
      );
      for (const f of found) alive.add(f.run_id);
    }
    orphans.push(...list.filter((r) => !alive.has(r.run_id)).map((r) => ({ id: r.id, runId: r.run_id })));
  }
  return orphans;
}

/** Deletes artifact rows and their file rows. */
export async function deleteArtifactRows(ctx: ArtifactContext, ids: readonly string[]): Promise<void> {
  await ctx.driver.transaction(async (tx) => {
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const marks = chunk.map(() => '?').join(', ');
      await tx.run(`DELETE FROM stored_files WHERE owner IN (${marks})`, chunk);
      await tx.run(`DELETE FROM artifacts WHERE id IN (${marks})`, chunk);
    }
  });
}
