import type { Driver } from './driver.ts';

/** One logged point of a metric series (NaN is stored as SQL NULL on SQLite). */
export interface SeriesPoint {
  step: number;
  timestamp: number;
  value: number | null;
}

/** Which series, and optionally which steps of it (both ends included). */
export interface SeriesRef {
  experimentId: string;
  runId: string;
  key: string;
  minStep?: number | undefined;
  maxStep?: number | undefined;
}

/** One bucket of steps: how many points it holds and the points with its smallest and largest value. */
export interface Bucket {
  n: number;
  min: SeriesPoint | null;
  max: SeriesPoint | null;
}

/**
 * The per-bucket extremes of a series over the steps `lo..hi`, cut into
 * `buckets` buckets where step `s` falls in bucket `floor((s - lo) * buckets / (hi - lo + 1))`.
 * `where` selects the series (a condition on `metrics` with `?` placeholders).
 * Each backend computes it its own fastest way (see `Dialect.seriesBuckets`).
 */
export type SeriesBuckets = (
  driver: Driver,
  where: { sql: string; params: readonly unknown[] },
  lo: number,
  hi: number,
  buckets: number,
) => Promise<Bucket[]>;

const COLS = 'step, "timestamp", value';

function seriesWhere(ref: SeriesRef): { sql: string; params: unknown[] } {
  let sql = 'experiment_id = ? AND run_id = ? AND key = ?';
  const params: unknown[] = [ref.experimentId, ref.runId, ref.key];
  if (ref.minStep !== undefined) {
    sql += ' AND step >= ?';
    params.push(ref.minStep);
  }
  if (ref.maxStep !== undefined) {
    sql += ' AND step <= ?';
    params.push(ref.maxStep);
  }
  return { sql, params };
}

export function toPoint(row: readonly unknown[]): SeriesPoint {
  return { step: Number(row[0]), timestamp: Number(row[1]), value: row[2] === null ? null : Number(row[2]) };
}

/** A whole series (or a step range of it), ordered by step then time. */
export async function readSeries(driver: Driver, ref: SeriesRef, limit?: number): Promise<SeriesPoint[]> {
  const where = seriesWhere(ref);
  const rows = await driver.rows(
    `SELECT ${COLS} FROM metrics WHERE ${where.sql} ORDER BY step, "timestamp"${limit === undefined ? '' : ' LIMIT ?'}`,
    limit === undefined ? where.params : [...where.params, limit],
  );
  return rows.map(toPoint);
}

/**
 * A series thinned for a chart in the database, never reading every point
 * into the process: a series of at most `maxPoints` points comes back whole;
 * a longer one as its first and last points and, in each of `(maxPoints - 2) / 2`
 * equal step ranges (one per pixel column, as M4 does), the points with the
 * smallest and the largest value, so spikes survive. `total` counts every point in range.
 */
export async function downsampleSeries(
  driver: Driver,
  ref: SeriesRef,
  maxPoints: number,
): Promise<{ points: SeriesPoint[]; total: number; downsampled: boolean }> {
  const head = await readSeries(driver, ref, maxPoints + 1);
  if (head.length <= maxPoints) return { points: head, total: head.length, downsampled: false };
  const where = seriesWhere(ref);
  const [lastRow] = await driver.rows(
    `SELECT ${COLS} FROM metrics WHERE ${where.sql} ORDER BY step DESC, "timestamp" DESC LIMIT 1`,
    where.params,
  );
  const first = head[0] as SeriesPoint;
  const last = toPoint(lastRow as unknown[]);
  const buckets = await driver.dialect.seriesBuckets(
    driver,
    where,
    first.step,
    last.step,
    Math.max(1, Math.floor((maxPoints - 2) / 2)),
  );
  const points: SeriesPoint[] = [first];
  let total = 0;
  const same = (a: SeriesPoint, b: SeriesPoint) => a.step === b.step && a.timestamp === b.timestamp;
  const push = (p: SeriesPoint) => {
    if (!same(p, first) && !same(p, last) && !same(p, points[points.length - 1] as SeriesPoint)) points.push(p);
  };
  for (const b of buckets) {
    total += b.n;
    const { min, max } = b;
    if (!min || !max) continue;
    const minFirst = min.step < max.step || (min.step === max.step && min.timestamp <= max.timestamp);
    push(minFirst ? min : max);
    push(minFirst ? max : min);
  }
  if (!same(last, first)) points.push(last);
  return { points, total, downsampled: true };
}
