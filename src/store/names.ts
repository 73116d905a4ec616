import { LockstepError } from '../errors.ts';

/** The columns every experiment table has; no config key, param or field may take these names. */
export const RUN_COLUMNS = [
  'run_id',
  'status',
  'started_at',
  'ended_at',
  'error',
  'error_stack',
  'params_key',
] as const;

const MAX_IDENTIFIER = 63; // PostgreSQL's limit, kept on SQLite too so that a file moves to a server

/** A key turned into a SQL identifier: letters, digits and underscores, not starting with a digit. */
export function sanitise(key: string): string {
  let s = key.replace(/[^A-Za-z0-9_]/g, '_');
  if (/^[0-9]/.test(s)) s = `_${s}`;
  return s;
}

/** Validates an experiment name and derives its table name. */
export function experimentTable(name: string): string {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new LockstepError('E_INPUT', 'experiment name must be a non-empty string');
  }
  if (name.length > 200)
    throw new LockstepError('E_INPUT', `experiment name is ${name.length} characters long; the limit is 200`);
  const table = `experiment_${sanitise(name)}`;
  if (table.length > MAX_IDENTIFIER) {
    throw new LockstepError(
      'E_INPUT',
      `experiment name "${name}" is too long: its table name would pass ${MAX_IDENTIFIER} characters; use at most ${MAX_IDENTIFIER - 11}`,
    );
  }
  return table;
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
  if ((RUN_COLUMNS as readonly string[]).includes(col.toLowerCase())) {
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
