import { RunIds } from '../core/identity.ts';
import { ensureTags, TAGS_TABLE } from '../search/tags.ts';
import type { Driver } from '../store/driver.ts';
import { quoteId } from '../store/driver.ts';
import type { ExperimentRecord, RunRecord, RunWrite } from '../store/store.ts';
import { Store } from '../store/store.ts';
import { CHUNK, marks, rowsWhereIn, sourceHas } from './rows.ts';
import type { Source } from './source.ts';

/** What becomes of each source run in the destination. */
export interface RunPlan {
  /** Source run id → destination run id. */
  ids: Map<string, string>;
  /** Runs to write (new, or newer than the destination's). */
  write: RunRecord[];
  /** Runs the destination has already, as they are. */
  unchanged: number;
  /** Runs the destination has in a later state (a later attempt or end): left as they are. */
  keptNewer: number;
}

interface DestRow {
  run_id: string;
  params_key: string;
  status: string;
  run_attempt: number | string | null;
  ended_at: unknown;
  run_steps: string | null;
}

/**
 * Matches source runs with the destination's by run identity: a grid run
 * (its id derives from its experiment and params) is the destination's run
 * of the same params, or gets the id the destination's experiment gives
 * those params; any other run keeps its id. A run the destination has in
 * the same state is left alone, so a second copy writes nothing.
 */
export async function planRuns(
  dst: Driver,
  srcExp: ExperimentRecord,
  dstExp: ExperimentRecord,
  runs: readonly RunRecord[],
): Promise<RunPlan> {
  const rows = await dst.all<DestRow>(
    `SELECT run_id, params_key, status, run_attempt, ended_at, run_steps FROM ${quoteId(dstExp.tableName)}`,
  );
  const byId = new Map(rows.map((r) => [r.run_id, r]));
  const byKey = new Map<string, DestRow>();
  for (const r of rows) if (!byKey.has(r.params_key)) byKey.set(r.params_key, r);
  const d = dst.dialect;
  const plan: RunPlan = { ids: new Map(), write: [], unchanged: 0, keptNewer: 0 };
  const srcIds = new RunIds(srcExp.id);
  const dstIds = new RunIds(dstExp.id);
  for (const run of runs) {
    const grid = run.id === srcIds.of(run.paramsKey);
    const id = grid ? (byKey.get(run.paramsKey)?.run_id ?? dstIds.of(run.paramsKey)) : run.id;
    plan.ids.set(run.id, id);
    const there = byId.get(id);
    if (!there) {
      plan.write.push(run);
      continue;
    }
    const attempt = Number(there.run_attempt ?? 0);
    const ended = (d.fromColumn('date', there.ended_at) as Date | null)?.getTime() ?? -1;
    const mine = run.endedAt?.getTime() ?? -1;
    const sameSteps = (there.run_steps ?? null) === (run.steps ? JSON.stringify(run.steps) : null);
    if (attempt === (run.attempt ?? 1) && ended === mine && there.status === run.status && sameSteps) plan.unchanged++;
    else if (attempt > (run.attempt ?? 1) || (attempt === (run.attempt ?? 1) && ended > mine)) plan.keptNewer++;
    else plan.write.push(run);
  }
  return plan;
}

/** Writes the planned runs (every value, the live-run columns too) through the store, in the caller's transaction. */
export async function writeRuns(tx: Driver, exp: ExperimentRecord, plan: RunPlan): Promise<void> {
  for (let i = 0; i < plan.write.length; i += 1000) {
    const batch: RunWrite[] = plan.write.slice(i, i + 1000).map((r) => ({
      ...r,
      id: plan.ids.get(r.id) as string,
      metrics: [],
      replaceMetrics: false,
    }));
    await new Store(tx).writeRuns(exp, batch);
  }
}

const POINT_COLUMNS = ['experiment_id', 'run_id', 'key', 'step', 'timestamp', 'value', 'attempt'];

/** Replaces the written runs' points (current series and earlier attempts) with the source's. */
export async function writePoints(
  tx: Driver,
  source: Source,
  srcExp: ExperimentRecord,
  dstExp: ExperimentRecord,
  plan: RunPlan,
  onRuns: (done: number) => void = () => {},
): Promise<{ points: number; archived: number }> {
  let points = 0;
  let archived = 0;
  for (let i = 0; i < plan.write.length; i += CHUNK) {
    const runs = plan.write.slice(i, i + CHUNK);
    const ids = runs.map((r) => plan.ids.get(r.id) as string);
    for (const table of ['metrics', 'metrics_archive'])
      await tx.run(`DELETE FROM ${table} WHERE experiment_id = ? AND run_id IN (${marks(ids.length)})`, [
        dstExp.id,
        ...ids,
      ]);
    const current: unknown[][] = [];
    const old: unknown[][] = [];
    for (const p of await source.points(srcExp, runs)) {
      const row = [dstExp.id, plan.ids.get(p.runId), p.key, p.step, p.timestamp, p.value, p.attempt];
      (p.archived ? old : current).push(row);
    }
    await tx.insert({ table: 'metrics', columns: POINT_COLUMNS, rows: current });
    await tx.insert({ table: 'metrics_archive', columns: POINT_COLUMNS, rows: old });
    points += current.length;
    archived += old.length;
    onRuns(Math.min(i + CHUNK, plan.write.length));
  }
  return { points, archived };
}

/** Run tags (MLflow's tags, logical-run marks) of every copied run, upserted. */
export async function copyTags(
  tx: Driver,
  source: Source,
  srcExp: ExperimentRecord,
  dstExp: ExperimentRecord,
  plan: RunPlan,
): Promise<number> {
  if (!(await sourceHas(source, TAGS_TABLE))) return 0;
  const rows = await rowsWhereIn(
    source,
    `SELECT run_id, key, value FROM ${TAGS_TABLE}`,
    'run_id',
    [...plan.ids.keys()],
    ' AND experiment_id = ?',
    [srcExp.id],
  );
  await ensureTags(tx);
  await tx.insert({
    table: TAGS_TABLE,
    columns: ['experiment_id', 'run_id', 'key', 'value'],
    rows: rows.map((r) => [dstExp.id, plan.ids.get(r.run_id as string), r.key, r.value]),
    conflict: ['experiment_id', 'run_id', 'key'],
  });
  return rows.length;
}
