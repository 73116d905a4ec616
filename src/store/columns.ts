import { LockstepError } from '../errors.ts';
import { encodeValue } from './codec.ts';
import type { Dialect, Driver } from './driver.ts';
import { quoteId } from './driver.ts';
import { type Kind, kindOf, mergeKinds } from './kinds.ts';
import { columnName } from './names.ts';
import type { ColumnInfo, ExperimentMeta, Role, RunWrite } from './store.ts';

const ROLE_SOURCES = [
  ['config', 'config'],
  ['param', 'params'],
  ['field', 'fields'],
] as const;

/**
 * Columns are stored as a list because PostgreSQL's jsonb does not keep the
 * order of object keys, and column order is what users see.
 */
export function metaToJson(meta: ExperimentMeta): unknown {
  return { ...meta, columns: Object.entries(meta.columns).map(([name, c]) => ({ name, ...c })) };
}

export function metaFromJson(raw: unknown): ExperimentMeta {
  const m = raw as Omit<ExperimentMeta, 'columns'> & { columns: (ColumnInfo & { name: string })[] };
  const columns: Record<string, ColumnInfo> = {};
  for (const { name, role, key, kind } of m.columns) columns[name] = { role, key, kind };
  return { ...m, columns };
}

export function columnType(d: Dialect, kind: Kind | null): string {
  return d.columnType(kind ?? 'string');
}

export function sourceOf(role: Role): 'config' | 'params' | 'fields' {
  return role === 'config' ? 'config' : role === 'param' ? 'params' : 'fields';
}

export function collision(col: string, a: { role: Role; key: string }, b: { role: Role; key: string }): LockstepError {
  return new LockstepError(
    'E_CONFLICT',
    `${b.role} "${b.key}" and ${a.role} "${a.key}" would share the column "${col}"; rename one of them`,
    { details: { column: col } },
  );
}

/**
 * Checks every value of every run and decides the kind each column needs.
 * Values the binary codec must carry are trial-encoded here, so that a
 * function deep inside a Map fails before the transaction starts.
 */
export function planColumns(runs: readonly RunWrite[], known: Record<string, ColumnInfo>): Map<string, ColumnInfo> {
  const plan = new Map<string, ColumnInfo>();
  const byLower = new Map<string, string>();
  for (const [c, info] of Object.entries(known)) byLower.set(c.toLowerCase(), `${info.role}\u0000${info.key}`);
  const names = new Map<Role, Map<string, string>>(ROLE_SOURCES.map(([role]) => [role, new Map()])); // memo
  for (const run of runs) {
    for (const [role, source] of ROLE_SOURCES) {
      const values = run[source];
      const memo = names.get(role) as Map<string, string>;
      for (const key in values) {
        let col = memo.get(key);
        if (col === undefined) {
          const id = `${role}\u0000${key}`;
          col = columnName(key, role);
          const owner = byLower.get(col.toLowerCase());
          if (owner !== undefined && owner !== id) {
            const [r, k] = owner.split('\u0000') as [Role, string];
            throw collision(col, { role: r, key: k }, { role, key });
          }
          byLower.set(col.toLowerCase(), id);
          memo.set(key, col);
        }
        const v = values[key];
        // finite numbers are most values: skip the general check and the path string
        let kind: Kind | null;
        if (typeof v === 'number' && Number.isFinite(v) && !Object.is(v, -0)) kind = 'number';
        else {
          const path = `run ${run.id}: ${role} "${key}"`;
          kind = kindOf(v, path);
          if (kind === 'binary') encodeValue(v, path);
        }
        const entry = plan.get(col);
        if (!entry) plan.set(col, { role, key, kind });
        else entry.kind = mergeKinds(entry.kind, kind);
      }
    }
  }
  return plan;
}

/** Rewrites one column in a new kind, value by value, inside the caller's transaction. */
export async function migrateColumn(
  tx: Driver,
  tableName: string,
  col: string,
  from: Kind | null,
  to: Kind | null,
): Promise<void> {
  const d = tx.dialect;
  const table = quoteId(tableName);
  const old = `${col}__lockstep_old`;
  const rows = from
    ? await tx.all(`SELECT run_id, ${d.selectExpr(quoteId(col), from)} FROM ${table} WHERE ${quoteId(col)} IS NOT NULL`)
    : [];
  await tx.exec(`ALTER TABLE ${table} RENAME COLUMN ${quoteId(col)} TO ${quoteId(old)}`);
  await tx.exec(`ALTER TABLE ${table} ADD COLUMN ${quoteId(col)} ${columnType(d, to)}`);
  for (const row of rows) {
    if (!from || !to) break;
    const value = d.fromColumn(from, row[col]);
    await tx.run(`UPDATE ${table} SET ${quoteId(col)} = ? WHERE run_id = ?`, [
      to === 'binary' ? encodeValue(value) : d.toParam(to, value),
      row.run_id,
    ]);
  }
  await tx.exec(`ALTER TABLE ${table} DROP COLUMN ${quoteId(old)}`);
}
