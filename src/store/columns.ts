import { LockstepError } from '../errors.ts';
import { encodeValue } from './codec.ts';
import type { Dialect } from './driver.ts';
import { quoteId } from './driver.ts';
import { type Kind, kindOf, mergeKinds } from './kinds.ts';
import { columnName } from './names.ts';
import { all, exec, type Ops, run } from './ops.ts';
import type { ColumnInfo, ExperimentMeta, Role, RunWrite } from './types.ts';

/** Marks a field planned into the column of the param or config of the same name. */
const SHARED = '\u0000shared:';

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
  for (const { name, role, key, kind, field } of m.columns)
    columns[name] = field ? { role, key, kind, field } : { role, key, kind };
  return { ...m, columns };
}

export function columnType(d: Dialect, kind: Kind | null): string {
  return d.columnType(kind ?? 'string');
}

export function sourceOf(role: Role): 'config' | 'params' | 'fields' {
  return role === 'config' ? 'config' : role === 'param' ? 'params' : 'fields';
}

/** Equal as stored values: the same primitive or date, or the same encoding. */
function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (a instanceof Date || b instanceof Date)
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  try {
    return encodeValue(a).equals(encodeValue(b));
  } catch {
    return false;
  }
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
  const sharedFields = new Set<string>();
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
            if (role === 'field' && k === key && r !== 'field') col = `${SHARED}${r}`;
            else throw collision(col, { role: r, key: k }, { role, key });
          } else byLower.set(col.toLowerCase(), id);
          memo.set(key, col);
        }
        const v = values[key];
        if (col.startsWith(SHARED)) {
          // MLtraq's `run.fields.A = run.params.A`: one value, one column (the param's or config's)
          const r = col.slice(SHARED.length) as Role;
          const other = run[sourceOf(r)][key];
          if (!sameValue(v, other)) {
            throw new LockstepError(
              'E_CONFLICT',
              `run ${run.id}: field "${key}" is ${describe(v)} but ${r} "${key}" is ${describe(other)}; a field named like a ${r} must hold the ${r}'s value (it is stored once, in the ${r}'s column): rename the field`,
              { details: { key, role: r } },
            );
          }
          sharedFields.add(`${r}\u0000${key}`);
          continue;
        }
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
  for (const id of sharedFields) {
    const [r, key] = id.split('\u0000') as [Role, string];
    const col = columnName(key, r);
    const entry = plan.get(col) ?? (known[col] ? { ...known[col] } : undefined);
    if (entry && !entry.field) plan.set(col, { ...entry, field: true });
  }
  return plan;
}

/** A short description of a value for messages. */
function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v == null) return String(v);
  return v instanceof Date ? v.toISOString() : `a ${Array.isArray(v) ? 'list' : typeof v}`;
}

/** Rewrites one column in a new kind, value by value, inside the caller's transaction. */
export function* migrateColumn(
  d: Dialect,
  tableName: string,
  col: string,
  from: Kind | null,
  to: Kind | null,
): Ops<void> {
  const table = quoteId(tableName);
  const old = `${col}__lockstep_old`;
  const rows = from
    ? yield* all(`SELECT run_id, ${d.selectExpr(quoteId(col), from)} FROM ${table} WHERE ${quoteId(col)} IS NOT NULL`)
    : [];
  yield* exec(`ALTER TABLE ${table} RENAME COLUMN ${quoteId(col)} TO ${quoteId(old)}`);
  yield* exec(`ALTER TABLE ${table} ADD COLUMN ${quoteId(col)} ${columnType(d, to)}`);
  for (const row of rows) {
    if (!from || !to) break;
    const value = d.fromColumn(from, row[col]);
    yield* run(`UPDATE ${table} SET ${quoteId(col)} = ? WHERE run_id = ?`, [
      to === 'binary' ? encodeValue(value) : d.toParam(to, value),
      row.run_id,
    ]);
  }
  yield* exec(`ALTER TABLE ${table} DROP COLUMN ${quoteId(old)}`);
}
