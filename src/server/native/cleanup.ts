import { ensureTags, TAGS_TABLE } from '../../search/tags.ts';
import type { Store } from '../../store/store.ts';

/** The store deletes runs and metrics; the tags of those runs are ours to delete. */
export async function deleteExperimentTags(store: Store, experimentId: string): Promise<void> {
  await ensureTags(store.driver);
  await store.driver.run(`DELETE FROM ${TAGS_TABLE} WHERE experiment_id = ?`, [experimentId]);
}

export async function deleteRunTags(store: Store, experimentId: string, runIds: readonly string[]): Promise<void> {
  await ensureTags(store.driver);
  for (let i = 0; i < runIds.length; i += 500) {
    const ids = runIds.slice(i, i + 500);
    await store.driver.run(
      `DELETE FROM ${TAGS_TABLE} WHERE experiment_id = ? AND run_id IN (${ids.map(() => '?').join(', ')})`,
      [experimentId, ...ids],
    );
  }
}
