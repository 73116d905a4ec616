import type { RunLock } from '../lock/format.ts';
import type { Driver, Row } from '../store/driver.ts';
import type { ExperimentRecord, RunRecord } from '../store/store.ts';
import { existing, rowsWhereIn, sourceHas, transcode } from './rows.ts';
import type { RunPlan } from './runs.ts';
import type { Source } from './source.ts';

const COLUMNS = [
  'id',
  'run_dir',
  'lock_path',
  'name',
  'parent_id',
  'active',
  'created_at',
  'superseded_by',
  'content',
  'experiment',
  'run_id',
];
const KINDS = { active: 'boolean', created_at: 'date', content: 'json' } as const;

/**
 * The lock records of the experiment's runs and their whole lineage
 * (previous stages and sweeps, whichever experiment wrote them), inserted
 * where the destination lacks them. A copied run's lock names the run by its
 * id in the destination. Each output directory touched keeps one active
 * record: its newest.
 */
export async function copyLocks(
  tx: Driver,
  source: Source,
  srcExp: ExperimentRecord,
  plan: RunPlan,
  runs: readonly RunRecord[],
): Promise<number> {
  if (!(await sourceHas(source, 'locks'))) return 0;
  const from = source.session.store.driver.dialect;
  const hasRun = await source.sql('SELECT experiment FROM locks WHERE 1 = 0').then(
    () => true,
    () => false,
  );
  const select = `SELECT ${hasRun ? COLUMNS.join(', ') : `${COLUMNS.slice(0, 9).join(', ')}, NULL AS experiment, NULL AS run_id`} FROM locks`;
  const found = new Map<string, Row>();
  let frontier = hasRun ? await source.sql(`${select} WHERE experiment = ?`, [srcExp.name]) : [];
  // locks made before locks named their run: the runs' lock_id fields find them
  const named = runs.map((r) => r.fields.lock_id).filter((v): v is string => typeof v === 'string');
  frontier.push(...(await rowsWhereIn(source, select, 'id', named)));
  while (frontier.length) {
    for (const r of frontier) found.set(r.id as string, r);
    const wanted = new Set<string>();
    for (const r of frontier) {
      const content = from.fromColumn('json', r.content) as RunLock | null;
      for (const link of [...(content?.prevs ?? []), ...(content?.parent ? [content.parent] : [])])
        if (!found.has(link.id)) wanted.add(link.id);
    }
    frontier = wanted.size ? await rowsWhereIn(source, select, 'id', [...wanted]) : [];
  }
  const rows = [...found.values()];
  if (rows.length === 0) return 0;
  const have = await existing(
    tx,
    'locks',
    'id',
    rows.map((r) => r.id as string),
  );
  const to = tx.dialect;
  const fresh = rows.filter((r) => !have.has(r.id as string));
  await tx.insert({
    table: 'locks',
    columns: COLUMNS,
    rows: fresh.map((r) => {
      const row = transcode(from, to, r, COLUMNS, KINDS);
      const run = r.experiment === srcExp.name && r.run_id ? plan.ids.get(r.run_id as string) : undefined;
      if (run) {
        // the run has this id in the destination: the record says so
        const content = from.fromColumn('json', r.content) as RunLock;
        row[COLUMNS.indexOf('content')] = to.toParam('json', { ...content, run: { ...content.run, id: run } });
        row[COLUMNS.indexOf('run_id')] = run;
      }
      return row;
    }),
  });
  // one active record per output directory: the newest
  const dirs = [...new Set(fresh.map((r) => r.run_dir as string))];
  for (const dir of dirs) {
    const recs = await tx.all<{ id: string; created_at: unknown }>(
      'SELECT id, created_at FROM locks WHERE run_dir = ?',
      [dir],
    );
    const newest = recs
      .map((r) => ({ id: r.id, at: (to.fromColumn('date', r.created_at) as Date).getTime() }))
      .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1))[0];
    if (!newest) continue;
    await tx.run('UPDATE locks SET active = ?, superseded_by = NULL WHERE id = ?', [
      to.toParam('boolean', true),
      newest.id,
    ]);
    await tx.run(
      'UPDATE locks SET active = ?, superseded_by = COALESCE(superseded_by, ?) WHERE run_dir = ? AND id <> ?',
      [to.toParam('boolean', false), newest.id, dir, newest.id],
    );
  }
  return fresh.length;
}
