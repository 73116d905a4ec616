import type { InsertSpec } from './driver.ts';
import { quoteId } from './driver.ts';

/** `INSERT … VALUES (?, …)` for one row, with the upsert clause when asked. */
export function insertSql(spec: InsertSpec, valuesList?: string): string {
  const cols = spec.columns.map(quoteId);
  const values = valuesList ?? `(${cols.map(() => '?').join(', ')})`;
  let sql = `INSERT INTO ${quoteId(spec.table)} (${cols.join(', ')}) VALUES ${values}`;
  if (spec.conflict) sql += conflictClause(spec);
  return sql;
}

/** The same upsert clause works on SQLite (3.24+) and PostgreSQL. */
function conflictClause(spec: InsertSpec): string {
  const keys = new Set(spec.conflict);
  const updates = spec.columns.filter((c) => !keys.has(c)).map((c) => `${quoteId(c)} = excluded.${quoteId(c)}`);
  const target = (spec.conflict ?? []).map(quoteId).join(', ');
  return updates.length === 0
    ? ` ON CONFLICT (${target}) DO NOTHING`
    : ` ON CONFLICT (${target}) DO UPDATE SET ${updates.join(', ')}${spec.conflictWhere ? ` WHERE ${spec.conflictWhere}` : ''}`;
}
