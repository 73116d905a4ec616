import { createHash } from 'node:crypto';
import { LockstepError } from '../errors.ts';

/** The columns every experiment table has, as users see them. */
export const RUN_COLUMNS = [
  'run_id',
  'status',
  'started_at',
  'ended_at',
  'error',
  'error_stack',
  'params_key',
] as const;

/**
 * The live-run columns (layout 2): which execution of the run this row
 * describes, the steps it has completed, who runs it and until when its
 * lease holds. `run_` keeps them apart from the names users give.
 */
export const LIFECYCLE_COLUMNS = [
  'run_attempt',
  'run_steps',
  'run_host',
  'run_pid',
  'run_executor',
  'run_lease_until',
] as const;

/** Every reserved column, in table order: no config key, param or field may take these names. */
export const RESERVED_COLUMNS: readonly string[] = [...RUN_COLUMNS, ...LIFECYCLE_COLUMNS];

const MAX_IDENTIFIER = 63; // PostgreSQL's limit, kept on SQLite too so that a file moves to a server

/** A key turned into a SQL identifier: letters, digits and underscores, not starting with a digit. */
export function sanitise(key: string): string {
  let s = key.replace(/[^A-Za-z0-9_]/g, '_');
  if (/^[0-9]/.test(s)) s = `_${s}`;
  return s;
}

/** The longest experiment name (MLflow's limit, so that any MLflow experiment name works). */
export const MAX_EXPERIMENT_NAME = 500;

/** Eight hex digits of SHA-256: what keeps two shortened identifiers apart. */
function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/**
 * Validates an experiment name and derives its table name:
 * `experiment_<sanitised name>` when that fits in an identifier, else the
 * sanitised name cut short plus a hash of the whole name
 * (`experiment_<first 43 characters>_<8 hex digits>`), so every name up to
 * {@link MAX_EXPERIMENT_NAME} characters has a table of its own.
 */
export function experimentTable(name: string): string {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new LockstepError('E_INPUT', 'experiment name must be a non-empty string');
  }
  if (name.length > MAX_EXPERIMENT_NAME)
    throw new LockstepError(
      'E_INPUT',
      `experiment name is ${name.length} characters long; the limit is ${MAX_EXPERIMENT_NAME}`,
    );
  const table = `experiment_${sanitise(name)}`;
  if (table.length <= MAX_IDENTIFIER) return table;
  return `${table.slice(0, MAX_IDENTIFIER - 9)}_${shortHash(name)}`;
}

/**
 * The name of an index on a table: `<table>_<suffix>`, shortened with a hash
 * of the table name when it would pass the identifier limit (PostgreSQL would
 * otherwise cut it to the table's own name and refuse it).
 */
export function indexName(table: string, suffix: string): string {
  const full = `${table}_${suffix}`;
  if (full.length <= MAX_IDENTIFIER) return full;
  return `${table.slice(0, MAX_IDENTIFIER - suffix.length - 10)}_${shortHash(table)}_${suffix}`;
}

/** The column of a config key, param or field, refused when it cannot be a column at all. */
export function columnName(key: string, role: string): string {
  if (key === '') throw new LockstepError('E_INPUT', `${role} names must not be empty`);
  const col = sanitise(key);
  if (col.length > MAX_IDENTIFIER) {
    throw new LockstepError(
      'E_INPUT',
      `${role} "${key}" is too long for a column name (at most ${MAX_IDENTIFIER} characters)`,
    );
  }
  if (RESERVED_COLUMNS.includes(col.toLowerCase())) {
    throw new LockstepError(
      'E_CONFLICT',
      `${role} "${key}" collides with the reserved run column "${col}"; rename it`,
      {
        details: { key, column: col },
      },
    );
  }
  return col;
}
