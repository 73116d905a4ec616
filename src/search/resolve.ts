import { LockstepError } from '../errors.ts';
import type { Dialect } from '../store/driver.ts';
import { quoteId } from '../store/driver.ts';
import type { Kind } from '../store/kinds.ts';
import type { ExperimentRecord } from '../store/store.ts';
import type { Ident } from './parse.ts';
import { TAGS_TABLE } from './tags.ts';

/** What a name in a filter stands for: an SQL expression on the run row `t`, and how to treat values. */
export interface Resolved {
  sql: string;
  params: unknown[];
  /** `status` maps MLflow's names; `tag` and `metric` are strings and numbers kept outside the run row. */
  kind: Kind | 'status' | 'tag' | 'metric' | null;
}

export interface Scope {
  exp: ExperimentRecord;
  dialect: Dialect;
  /** How the run row is named in the query (default `t`; the quoted table name when it has no alias). */
  alias?: string;
  /**
   * Names a caller resolves its own way before the grammar's rules apply (the
   * MLflow API's status, with KILLED told apart from FAILED). Written against `t`.
   */
  override?: (ident: Ident) => Resolved | undefined;
}

const ROLE_OF: Record<string, string> = {
  params: 'param',
  param: 'param',
  config: 'config',
  fields: 'field',
  field: 'field',
};

const ATTRIBUTES: Record<string, Resolved | ((s: Scope) => Resolved)> = {
  status: { sql: 't.status', params: [], kind: 'status' },
  run_id: { sql: 't.run_id', params: [], kind: 'string' },
  id: { sql: 't.run_id', params: [], kind: 'string' },
  run_name: (s) => tag(s, 'mlflow.runName'),
  user_id: (s) => tag(s, 'mlflow.user'),
  start_time: { sql: 't.started_at', params: [], kind: 'date' },
  started_at: { sql: 't.started_at', params: [], kind: 'date' },
  end_time: { sql: 't.ended_at', params: [], kind: 'date' },
  ended_at: { sql: 't.ended_at', params: [], kind: 'date' },
  error: { sql: 't.error', params: [], kind: 'string' },
};

function tag(s: Scope, key: string): Resolved {
  return {
    sql: `(SELECT g.value FROM ${TAGS_TABLE} g WHERE g.experiment_id = ? AND g.run_id = t.run_id AND g.key = ?)`,
    params: [s.exp.id, key],
    kind: 'tag',
  };
}

/** The latest value of a metric: highest step, then latest timestamp (MLflow's rule). */
function metric(s: Scope, key: string): Resolved {
  return {
    sql: `(SELECT m.value FROM metrics m WHERE m.experiment_id = ? AND m.run_id = t.run_id AND m.key = ? ORDER BY m.step DESC, m."timestamp" DESC LIMIT 1)`,
    params: [s.exp.id, key],
    kind: 'metric',
  };
}

function column(name: string, kind: Kind | null): Resolved {
  return { sql: `t.${quoteId(name)}`, params: [], kind };
}

/**
 * Resolves `scope.key` against an experiment. A param, config key or field
 * the experiment has never stored resolves to NULL, so it matches no run
 * (MLflow's behaviour); an unknown bare name or scope is an error.
 */
export function resolveIdent(ident: Ident, s: Scope): Resolved {
  const r = s.override?.(ident) ?? resolveOn(ident, s);
  // names below are written against `t`; column names are sanitised, so `t.` only ever means the run row
  return !s.alias || s.alias === 't' ? r : { ...r, sql: r.sql.replace(/\bt\./g, `${s.alias}.`) };
}

function resolveOn(ident: Ident, s: Scope): Resolved {
  const { scope, key, pos } = ident;
  const lower = scope.toLowerCase();
  if (lower === 'metrics' || lower === 'metric') return metric(s, key);
  if (lower === 'tags' || lower === 'tag') return tag(s, key);
  if (lower === 'attributes' || lower === 'attribute' || lower === 'attr' || lower === 'run') {
    const a = ATTRIBUTES[key.toLowerCase()];
    if (!a) throw unknown(`unknown attribute "${key}" (known: ${Object.keys(ATTRIBUTES).join(', ')})`, pos);
    return typeof a === 'function' ? a(s) : a;
  }
  const role = ROLE_OF[lower];
  if (role) {
    const found = Object.entries(s.exp.meta.columns).find(([, c]) => c.role === role && c.key === key);
    return found ? column(found[0], found[1].kind) : { sql: 'NULL', params: [], kind: null };
  }
  if (lower !== 'column') {
    throw unknown(`unknown prefix "${scope}." (use metrics., params., config., fields., tags. or attributes.)`, pos);
  }
  const attr = ATTRIBUTES[key];
  if (attr && typeof attr !== 'function' && key !== 'id') return attr;
  const cols = s.exp.meta.columns;
  const info = cols[key];
  if (info) return column(key, info.kind);
  const byKey = Object.entries(cols).filter(([, c]) => c.key === key);
  if (byKey.length === 1) {
    const [name, c] = byKey[0] as [string, (typeof cols)[string]];
    return column(name, c.kind);
  }
  const names = Object.keys(cols);
  throw unknown(
    byKey.length > 1
      ? `"${key}" is ambiguous: say params.${key}, config.${key} or fields.${key}`
      : `unknown column "${key}" (columns: ${['status', 'run_id', 'started_at', 'ended_at', 'error', ...names].join(', ')}; metrics need "metrics.")`,
    pos,
  );
}

function unknown(message: string, pos: number): LockstepError {
  return new LockstepError('E_INPUT', `invalid filter: ${message} at position ${pos}`, { details: { position: pos } });
}
