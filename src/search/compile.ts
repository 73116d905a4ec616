import { LockstepError } from '../errors.ts';
import type { Expr, Literal } from './parse.ts';
import { parseFilter } from './parse.ts';
import { type Resolved, resolveIdent, type Scope } from './resolve.ts';

/** SQL with `?` placeholders and the values that fill them, in order. */
export interface Compiled {
  sql: string;
  params: unknown[];
}

/** MLflow's run statuses, and lockstep's own, to lockstep's. */
const STATUS: Record<string, string> = {
  RUNNING: 'running',
  SCHEDULED: 'pending',
  FINISHED: 'done',
  FAILED: 'failed',
  KILLED: 'failed',
  PENDING: 'pending',
  DONE: 'done',
  INTERRUPTED: 'interrupted',
};

/**
 * Compiles a filter to a WHERE condition on the experiment table aliased
 * `t`. Every value travels as a parameter; names only ever become quoted
 * column names the experiment already has, or subqueries on the metrics and
 * tags tables. An empty filter compiles to `1 = 1`.
 *
 * @example
 * ```ts
 * const { sql, params } = compileFilter("metrics.acc > 0.9 or params.model = 'knn'", { exp, dialect });
 * await driver.all(`SELECT run_id FROM ${exp.tableName} t WHERE ${sql}`, params);
 * ```
 */
export function compileFilter(filter: string | Expr | undefined | null, scope: Scope): Compiled {
  const expr = typeof filter === 'string' ? (filter ? parseFilter(filter) : null) : (filter ?? null);
  if (!expr) return { sql: '1 = 1', params: [] };
  const params: unknown[] = [];
  const sql = emit(expr, scope, params);
  return { sql, params: bindParams(params, scope) };
}

function emit(e: Expr, s: Scope, params: unknown[]): string {
  switch (e.type) {
    case 'and':
    case 'or':
      return `(${emit(e.left, s, params)} ${e.type.toUpperCase()} ${emit(e.right, s, params)})`;
    case 'not':
      return `(NOT ${emit(e.expr, s, params)})`;
    case 'null': {
      const r = resolveIdent(e.ident, s);
      params.push(...r.params);
      return `(${r.sql} IS ${e.negate ? 'NOT ' : ''}NULL)`;
    }
    case 'in': {
      const r = resolveIdent(e.ident, s);
      checkComparable(r, 'IN', e.pos);
      params.push(...r.params);
      for (const v of e.values) params.push(coerce(r, v, e.pos));
      return `(${r.sql} ${e.negate ? 'NOT ' : ''}IN (${e.values.map(() => '?').join(', ')}))`;
    }
    case 'cmp': {
      const r = resolveIdent(e.ident, s);
      checkComparable(r, e.op, e.pos);
      if (e.op === 'LIKE' || e.op === 'ILIKE') return like(r, e.op, String(e.value), s, params);
      params.push(...r.params, coerce(r, e.value, e.pos));
      return `(${r.sql} ${e.op} ?)`;
    }
  }
}

/**
 * LIKE is case-sensitive and ILIKE is not, on both databases. SQLite's LIKE
 * ignores ASCII case, so there LIKE also has to pass the equivalent GLOB.
 */
function like(r: Resolved, op: string, pattern: string, s: Scope, params: unknown[]): string {
  const text = `CAST(${r.sql} AS TEXT)`;
  if (op === 'ILIKE') {
    params.push(...r.params, pattern);
    return `(LOWER(${text}) LIKE LOWER(?))`;
  }
  if (s.dialect.name === 'postgres') {
    params.push(...r.params, pattern);
    return `(${text} LIKE ?)`;
  }
  params.push(...r.params, pattern, ...r.params, likeToGlob(pattern));
  return `(${text} LIKE ? AND ${text} GLOB ?)`;
}

/** `a%b_` → `a*b?`, with GLOB's own special characters matched literally. */
export function likeToGlob(pattern: string): string {
  let out = '';
  for (const ch of pattern) {
    if (ch === '%') out += '*';
    else if (ch === '_') out += '?';
    else if (ch === '*' || ch === '?' || ch === '[') out += `[${ch}]`;
    else out += ch;
  }
  return out;
}

function checkComparable(r: Resolved, op: string, pos: number): void {
  if (r.kind === 'json' || r.kind === 'binary') {
    throw new LockstepError(
      'E_INPUT',
      `invalid filter: ${op} cannot compare an encoded (JSON or binary) column; query it with SQL instead, at position ${pos}`,
      { details: { position: pos } },
    );
  }
  if (r.kind === 'status' && ['<', '<=', '>', '>='].includes(op)) {
    throw new LockstepError(
      'E_INPUT',
      `invalid filter: status only compares with =, !=, IN or LIKE, at position ${pos}`,
      {
        details: { position: pos },
      },
    );
  }
}

/** Turns a literal into a parameter of the column's type, or says why it cannot be one. */
function coerce(r: Resolved, v: Literal, pos: number): unknown {
  const bad = (what: string) =>
    new LockstepError('E_INPUT', `invalid filter: ${JSON.stringify(v)} is not ${what}, at position ${pos}`, {
      details: { position: pos },
    });
  switch (r.kind) {
    case 'status': {
      const s = String(v);
      return STATUS[s.toUpperCase()] ?? s.toLowerCase();
    }
    case 'number':
    case 'bigint':
    case 'metric': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
      if (typeof v === 'boolean' || Number.isNaN(n)) throw bad('a number');
      return n;
    }
    case 'boolean': {
      if (typeof v === 'boolean') return v;
      const s = String(v).toLowerCase();
      if (s === 'true' || s === '1') return true;
      if (s === 'false' || s === '0') return false;
      throw bad('true or false');
    }
    case 'date': {
      const d = typeof v === 'number' ? new Date(v) : typeof v === 'string' ? new Date(v) : new Date(Number.NaN);
      if (Number.isNaN(d.getTime())) throw bad('a date (milliseconds or an ISO date)');
      return d;
    }
    default:
      return typeof v === 'string' ? v : String(v);
  }
}

/** Converts a coerced parameter to what the driver takes (booleans and dates differ per backend). */
function bindParams(params: unknown[], s: Scope): unknown[] {
  return params.map((p) =>
    typeof p === 'boolean' ? s.dialect.toParam('boolean', p) : p instanceof Date ? s.dialect.toParam('date', p) : p,
  );
}
