import type { Bucket, SeriesBuckets } from '../series.ts';

/** An extreme as an array that orders by value, then step, then time (float8 is exact for every step a JS number holds). */
const EXTREME = `ARRAY[value, step::float8, "timestamp"::float8]) FILTER (WHERE value IS NOT NULL AND value <> 'NaN')`;

/**
 * PostgreSQL: one hashed GROUP BY over the series, each bucket's extremes as
 * min/max of (value, step, time) arrays, so the answer names real points in
 * one round trip.
 */
export const postgresSeriesBuckets: SeriesBuckets = async (driver, where, lo, hi, buckets) => {
  const span = hi - lo + 1;
  const rows = await driver.rows(
    `SELECT b, COUNT(*), MIN(${EXTREME}, MAX(${EXTREME} FROM (
       SELECT floor((step - ?::float8) * ?::float8 / ?::float8) AS b, step, "timestamp", value
       FROM metrics WHERE ${where.sql} AND step >= ? AND step <= ?
     ) x GROUP BY b ORDER BY b`,
    [lo, buckets, span, ...where.params, lo, hi],
  );
  const out: Bucket[] = [];
  const point = (a: unknown) => {
    if (!Array.isArray(a)) return null;
    return { value: Number(a[0]), step: Number(a[1]), timestamp: Number(a[2]) };
  };
  for (const r of rows) out.push({ n: Number(r[1]), min: point(r[2]), max: point(r[3]) });
  return out;
};
