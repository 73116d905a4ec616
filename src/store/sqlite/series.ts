import type { Bucket, SeriesBuckets } from '../series.ts';
import { toPoint } from '../series.ts';

/**
 * SQLite: two indexed range aggregates per bucket, run in-process. A GROUP BY
 * over a bucket expression sorts every point first (SQLite cannot know the
 * expression follows the index), which costs more than the per-bucket
 * queries together; with a single min() or max() SQLite fills the other
 * columns from the row that holds it, so each query names a real point.
 */
export const sqliteSeriesBuckets: SeriesBuckets = async (driver, where, lo, hi, buckets) => {
  const span = hi - lo + 1;
  const range = `FROM metrics WHERE ${where.sql} AND step >= ? AND step < ?`;
  const minSql = `SELECT step, "timestamp", value, MIN(value), COUNT(*) ${range}`;
  const maxSql = `SELECT step, "timestamp", value, MAX(value) ${range}`;
  const out: Bucket[] = [];
  let from = lo;
  for (let b = 1; b <= buckets; b++) {
    // the first step of the next bucket; integers, and never past hi + 1
    const to = b === buckets ? hi + 1 : Math.min(hi + 1, lo + Math.ceil((b * span) / buckets));
    if (to <= from) continue;
    const params = [...where.params, from, to];
    const [minRow] = await driver.rows(minSql, params);
    const n = Number(minRow?.[4] ?? 0);
    if (n === 0 || minRow?.[3] === null) {
      out.push({ n, min: null, max: null });
    } else {
      const min = toPoint(minRow as unknown[]);
      const [maxRow] = n === 1 ? [minRow] : await driver.rows(maxSql, params);
      out.push({ n, min, max: toPoint(maxRow as unknown[]) });
    }
    from = to;
  }
  return out;
};
