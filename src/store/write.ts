import { LockstepError } from '../errors.ts';
import { encodeValue } from './codec.ts';
import { collision, columnType, metaFromJson, metaToJson, migrateColumn, sourceOf } from './columns.ts';
import type { Dialect } from './driver.ts';
import { quoteId } from './driver.ts';
import type { Kind } from './kinds.ts';
import { mergeKinds } from './kinds.ts';
import { RESERVED_COLUMNS } from './names.ts';
import { all, exec, insert, type Ops, run } from './ops.ts';
import { LAYOUT, upgradeExperimentTable } from './tables.ts';
import type { ColumnInfo, ExperimentRecord, RunWrite } from './types.ts';

const FIXED = RESERVED_COLUMNS.length;
const POINT_COLUMNS = ['experiment_id', 'run_id', 'key', 'step', 'timestamp', 'value', 'attempt'];
const CHUNK = 500;

/**
 * The body of one write transaction: new keys add columns, a key whose
 * values disagree in type turns its column into the binary encoding, rows
 * are upserted by run id (never over a newer attempt's row), and metric
 * points go to the current series or, from an attempt that is not the run's
 * latest, to `metrics_archive`. `incoming` comes from `planColumns`, which
 * checked every value before the transaction began.
 */
export function* writeRunsOps(
  d: Dialect,
  exp: ExperimentRecord,
  runs: readonly RunWrite[],
  incoming: Map<string, ColumnInfo>,
): Ops<void> {
  // Another process may have added columns since `exp` was read.
  const [row] = yield* all(`SELECT meta FROM experiments WHERE id = ?${d.forUpdate}`, [exp.id]);
  if (!row)
    throw new LockstepError('E_NOT_FOUND', `experiment "${exp.name}" was deleted while its runs were being written`);
  const meta = metaFromJson(d.fromColumn('json', row.meta));
  if (yield* upgradeExperimentTable(d, exp.tableName, meta.layout)) meta.layout = LAYOUT;
  const table = quoteId(exp.tableName);
  for (const [col, info] of incoming) {
    const have = meta.columns[col];
    if (have && (have.role !== info.role || have.key !== info.key)) throw collision(col, have, info);
    const clash = Object.entries(meta.columns).find(([c]) => c !== col && c.toLowerCase() === col.toLowerCase());
    if (clash) throw collision(col, clash[1], info);
    if (!have) {
      yield* exec(`ALTER TABLE ${table} ADD COLUMN ${quoteId(col)} ${columnType(d, info.kind)}`);
      meta.columns[col] = { ...info };
    } else {
      const kind = mergeKinds(have.kind, info.kind);
      if (kind !== have.kind) {
        yield* migrateColumn(d, exp.tableName, col, have.kind, kind);
        have.kind = kind;
      }
      if (info.field) have.field = true;
    }
  }
  const rowRuns = runs.some((r) => r.pointsOnly) ? runs.filter((r) => !r.pointsOnly) : runs;
  if (rowRuns.length) yield* upsertRows(d, exp.tableName, rowRuns, meta.columns, incoming);
  yield* writePoints(exp, runs);
  const now = new Date();
  yield* run('UPDATE experiments SET meta = ?, updated_at = ? WHERE id = ?', [
    d.toParam('json', metaToJson(meta)),
    d.toParam('date', now),
    exp.id,
  ]);
  exp.meta = meta;
  exp.updatedAt = now;
}

function* upsertRows(
  d: Dialect,
  tableName: string,
  runs: readonly RunWrite[],
  columns: Record<string, ColumnInfo>,
  incoming: Map<string, ColumnInfo>,
): Ops<void> {
  const cols = Object.keys(columns).filter((c) => incoming.has(c));
  const kinds = cols.map((c) => (columns[c] as ColumnInfo).kind);
  const sources = cols.map((c) => sourceOf((columns[c] as ColumnInfo).role));
  const keys = cols.map((c) => (columns[c] as ColumnInfo).key);
  let lastSteps: readonly string[] | null | undefined;
  let lastStepsText: string | null = null;
  const fill = (i: number, row: unknown[]) => {
    const r = runs[i] as RunWrite;
    row[0] = r.id;
    row[1] = r.status;
    row[2] = d.toParam('date', r.startedAt);
    row[3] = d.toParam('date', r.endedAt);
    row[4] = r.error;
    row[5] = r.errorStack;
    row[6] = r.paramsKey;
    row[7] = r.attempt ?? 1;
    if (r.steps !== lastSteps) {
      lastSteps = r.steps;
      lastStepsText = r.steps ? JSON.stringify(r.steps) : null;
    }
    row[8] = lastStepsText;
    row[9] = r.host ?? null;
    row[10] = r.pid ?? null;
    row[11] = r.executor ?? null;
    row[12] = r.leaseUntil ?? null;
    for (let c = 0; c < cols.length; c++) {
      const v = r[sources[c] as 'fields'][keys[c] as string];
      const kind = kinds[c] as Kind | null;
      row[FIXED + c] = v == null || kind === null ? null : kind === 'binary' ? encodeValue(v) : d.toParam(kind, v);
    }
  };
  const table = quoteId(tableName);
  yield* insert({
    table: tableName,
    columns: [...RESERVED_COLUMNS, ...cols],
    rows: { count: runs.length, fill },
    conflict: ['run_id'],
    // a late writer (an older attempt, a worker whose lease was taken over) never overwrites a newer execution
    conflictWhere: `${table}.run_attempt <= excluded.run_attempt`,
  });
}

/**
 * Metric points: an execution from scratch first moves the run's earlier
 * points to `metrics_archive`, a continuation the earlier points of the keys
 * it logs; points of an attempt older than the run's stored one (a writer
 * that lost the run) go straight to the archive, never into the current
 * series.
 */
function* writePoints(exp: ExperimentRecord, runs: readonly RunWrite[]): Ops<void> {
  const touched = runs.filter((r) => r.metrics.length || r.replaceMetrics || r.archiveKeys?.length);
  if (touched.length === 0) return;
  const table = quoteId(exp.tableName);
  const stored = new Map<string, number>();
  for (let i = 0; i < touched.length; i += CHUNK) {
    const ids = touched.slice(i, i + CHUNK).map((r) => r.id);
    const rows = yield* all<{ run_id: string; run_attempt: number | bigint }>(
      `SELECT run_id, run_attempt FROM ${table} WHERE run_id IN (${marks(ids.length)})`,
      ids,
    );
    for (const r of rows) stored.set(r.run_id, Number(r.run_attempt));
  }
  const current: unknown[][] = [];
  const archived: unknown[][] = [];
  const replace: string[] = [];
  for (const r of touched) {
    const attempt = r.attempt ?? 1;
    if (attempt < (stored.get(r.id) ?? attempt)) {
      for (const p of r.metrics) archived.push([exp.id, r.id, p.key, p.step, p.timestamp, p.value, attempt]);
      continue;
    }
    if (r.replaceMetrics) replace.push(r.id);
    else
      for (const key of r.archiveKeys ?? [])
        yield* archivePoints(exp.id, [r.id], 'AND key = ? AND attempt < ?', [key, attempt]);
    for (const p of r.metrics) current.push([exp.id, r.id, p.key, p.step, p.timestamp, p.value, attempt]);
  }
  for (let i = 0; i < replace.length; i += CHUNK) yield* archivePoints(exp.id, replace.slice(i, i + CHUNK), '', []);
  yield* insert({ table: 'metrics', columns: POINT_COLUMNS, rows: current, fixedShape: true });
  yield* insert({ table: 'metrics_archive', columns: POINT_COLUMNS, rows: archived, fixedShape: true });
}

/** Moves points of some runs from the current series to the archive. */
function* archivePoints(
  experimentId: string,
  runIds: readonly string[],
  extra: string,
  extraParams: unknown[],
): Ops<void> {
  const where = `experiment_id = ? AND run_id IN (${marks(runIds.length)}) ${extra}`;
  const params = [experimentId, ...runIds, ...extraParams];
  yield* run(
    `INSERT INTO metrics_archive (${POINT_COLUMNS.map(quoteId).join(', ')}) SELECT ${POINT_COLUMNS.map(quoteId).join(', ')} FROM metrics WHERE ${where}`,
    params,
  );
  yield* run(`DELETE FROM metrics WHERE ${where}`, params);
}

function marks(n: number): string {
  return new Array(n).fill('?').join(', ');
}
