import type { Dialect, Driver, Row } from '../store/driver.ts';
import type { Kind } from '../store/kinds.ts';
import type { Source } from './source.ts';

export const CHUNK = 500;

/** The marks of an `IN (…)` list. */
export function marks(n: number): string {
  return new Array(n).fill('?').join(', ');
}

/** Whether the source has a table (a database that never stored artifacts has none of their tables). */
export async function sourceHas(source: Source, table: string): Promise<boolean> {
  return source.sql(`SELECT 1 FROM ${table} WHERE 1 = 0`).then(
    () => true,
    () => false,
  );
}

/** Rows of a source table whose `column` is one of `values`, in chunks. */
export async function rowsWhereIn(
  source: Source,
  select: string,
  column: string,
  values: readonly unknown[],
  extra = '',
  extraParams: readonly unknown[] = [],
): Promise<Row[]> {
  const out: Row[] = [];
  for (let i = 0; i < values.length; i += CHUNK) {
    const chunk = values.slice(i, i + CHUNK);
    out.push(
      ...(await source.sql(`${select} WHERE ${column} IN (${marks(chunk.length)})${extra}`, [
        ...chunk,
        ...extraParams,
      ])),
    );
  }
  return out;
}

/**
 * A row read with one backend's dialect, as parameters for the other's: each
 * column of a known kind is decoded then encoded again (dates, booleans,
 * JSON); integers that may arrive as text (PostgreSQL's BIGINT) become numbers.
 */
export function transcode(
  from: Dialect,
  to: Dialect,
  row: Row,
  columns: readonly string[],
  kinds: Readonly<Record<string, Kind | 'integer'>>,
): unknown[] {
  return columns.map((c) => {
    const v = row[c];
    const kind = kinds[c];
    if (v === null || v === undefined) return null;
    if (kind === 'integer') return Number(v);
    return kind ? to.toParam(kind, from.fromColumn(kind, v)) : v;
  });
}

/** The values of `column` the destination already has among `values`. */
export async function existing(
  tx: Driver,
  table: string,
  column: string,
  values: readonly string[],
): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < values.length; i += CHUNK) {
    const chunk = values.slice(i, i + CHUNK);
    const rows = await tx.all<Record<string, string>>(
      `SELECT ${column} AS v FROM ${table} WHERE ${column} IN (${marks(chunk.length)})`,
      chunk,
    );
    for (const r of rows) out.add(String(r.v));
  }
  return out;
}
